"""The versioned referral envelope (docs/envelope-format.md is the normative description).

A fresh 256-bit data key is HPKE-sealed to the recipient; each field is padded to a size bucket
and encrypted with AES-256-GCM under that data key. The HPKE `info` binds the format version,
kind, record id, recipient key id and the list of field names; each field's AAD binds the
version, kind, record id and its own name. So ciphertexts cannot be moved between fields,
records or kinds, and fields cannot be dropped.

Version 2 is version 1 plus a *referrer binding* sealed with the data key inside HPKE: the
referrer's reply public key and auth key (crypto.proofs). The console then takes both from the
envelope, never from a clear column a police-side database writer could change. Writers use
version 2 exactly when they have a binding to carry (`seal_record(..., referrer=...)`) and
version 1 otherwise; readers open both. The version is bound into the HPKE `info` and every
field's AAD, so a blob cannot be relabelled as the other version.

The field NAMES are visible in the blob (only the values are secret). Callers must therefore
always seal the same fixed set of field names for a given kind, using "" for an unanswered
question; otherwise which questions were answered would leak.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crypto._encoding import Reader, lp, u32
from crypto.aead import unwrap, wrap
from crypto.errors import CryptoError, DecryptionError
from crypto.keys import KEY_ID_SIZE, PUBLIC_KEY_SIZE, PrivateKey, PublicKey, open_sealed, seal
from crypto.padding import pad, unpad

MAGIC = b"SRE"
FORMAT_VERSION = 1  # records without a referrer binding (messages, replies, notes)
REFERRAL_FORMAT_VERSION = 2  # records carrying a ReferrerBinding (referrals)
SUPPORTED_VERSIONS = (FORMAT_VERSION, REFERRAL_FORMAT_VERSION)
AUTH_KEY_SIZE = 32
DATA_KEY_SIZE = 32
MAX_FIELDS = 256
MAX_TEXT_BYTES = 255  # for kind, record id and field names
INFO_LABEL = b"safe-referral/envelope/data-key"
AAD_LABEL = b"safe-referral/envelope/field"


def _utf8(value: str, what: str) -> bytes:
    if not isinstance(value, str):
        raise CryptoError(f"{what} must be a string")
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:
        raise CryptoError(f"{what} is not valid Unicode text") from None
    if not 0 < len(encoded) <= MAX_TEXT_BYTES:
        raise CryptoError(f"{what} must be 1 to {MAX_TEXT_BYTES} bytes of UTF-8")
    return encoded


def _version(version: int) -> bytes:
    if version not in SUPPORTED_VERSIONS:
        raise CryptoError(f"unknown envelope format version {version!r}")
    return bytes([version])


def hpke_info(
    kind: str,
    record_id: str,
    key_id: bytes,
    field_names: Sequence[str],
    version: int = FORMAT_VERSION,
) -> bytes:
    """The HPKE `info` under which the data key (and, in v2, the referrer binding) is sealed."""
    names = b"".join(lp(_utf8(name, "a field name")) for name in field_names)
    return (
        lp(INFO_LABEL)
        + _version(version)
        + lp(_utf8(kind, "kind"))
        + lp(_utf8(record_id, "record_id"))
        + lp(key_id)
        + u32(len(field_names))
        + names
    )


def field_aad(kind: str, record_id: str, name: str, version: int = FORMAT_VERSION) -> bytes:
    """The AES-GCM associated data for one field."""
    return _named(_record_aad(kind, record_id, version), name)


def _record_aad(kind: str, record_id: str, version: int) -> bytes:
    # What every field's associated data of one record starts with: worked out once per
    # record rather than once per field (a referral has 27 fields; docs/benchmarks.md).
    return (
        lp(AAD_LABEL)
        + _version(version)
        + lp(_utf8(kind, "kind"))
        + lp(_utf8(record_id, "record_id"))
    )


def _named(record_aad: bytes, name: str) -> bytes:
    return record_aad + lp(_utf8(name, "a field name"))


@dataclass(frozen=True, eq=False)
class ReferrerBinding:
    """Who the referral came from, sealed inside a v2 envelope.

    `public_key` is the referrer's reply key (seal replies to it); `auth_key` is the 32-byte
    key the referrer and provider share to authenticate messages and actions (crypto.proofs).
    Both come from the reference phrase (`ReferrerSecrets.binding`).
    """

    public_key: PublicKey
    auth_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, PublicKey):
            raise CryptoError("public_key must be a PublicKey")
        if not isinstance(self.auth_key, bytes) or len(self.auth_key) != AUTH_KEY_SIZE:
            raise CryptoError(f"auth_key is exactly {AUTH_KEY_SIZE} bytes")

    def to_bytes(self) -> bytes:
        """The 1248 bytes sealed after the data key: public key (1216) || auth key (32)."""
        return self.public_key.to_bytes() + self.auth_key

    @classmethod
    def from_bytes(cls, raw: bytes) -> ReferrerBinding:
        if len(raw) != PUBLIC_KEY_SIZE + AUTH_KEY_SIZE:
            raise DecryptionError
        return cls(PublicKey(raw[:PUBLIC_KEY_SIZE]), raw[PUBLIC_KEY_SIZE:])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReferrerBinding):
            return NotImplemented
        return hmac.compare_digest(self.to_bytes(), other.to_bytes())

    __hash__ = None  # type: ignore[assignment]  # holds a secret: not a dict key


@dataclass(frozen=True)
class OpenedEnvelope:
    """What `open_envelope` returns: the format version, the fields, and (v2) the binding."""

    version: int
    fields: dict[str, str]
    referrer: ReferrerBinding | None


@dataclass(frozen=True)
class EnvelopeParts:
    """A parsed (still encrypted) envelope; `fields` holds (name, nonce || ciphertext)."""

    version: int
    key_id: bytes
    sealed_key: bytes
    fields: tuple[tuple[str, bytes], ...]

    def to_bytes(self) -> bytes:
        out = [MAGIC, bytes([self.version]), self.key_id, lp(self.sealed_key)]
        out.append(u32(len(self.fields)))
        for name, body in self.fields:
            out += [lp(name.encode("utf-8")), lp(body)]
        return b"".join(out)


def parse_envelope(blob: bytes) -> EnvelopeParts:
    """Parse without decrypting; anything non-canonical raises DecryptionError."""
    reader = Reader(bytes(blob))
    if reader.take(len(MAGIC)) != MAGIC:
        raise DecryptionError
    version = reader.u8()
    if version not in SUPPORTED_VERSIONS:
        raise DecryptionError
    key_id = reader.take(KEY_ID_SIZE)
    sealed_key = reader.lp()
    count = reader.u32()
    if count > MAX_FIELDS:
        raise DecryptionError
    fields: list[tuple[str, bytes]] = []
    previous = b""
    for _ in range(count):
        raw_name = reader.lp()
        # Strictly increasing byte order: one canonical encoding, no duplicate names.
        if not 0 < len(raw_name) <= MAX_TEXT_BYTES or raw_name <= previous:
            raise DecryptionError
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionError from None
        fields.append((name, reader.lp()))
        previous = raw_name
    reader.end()
    return EnvelopeParts(version, key_id, sealed_key, tuple(fields))


def recipient_key_id(blob: bytes) -> str:
    """The hex key id of the key an envelope was sealed to (no decryption needed).

    Reads the fixed-size header only (magic, version, key id), so checking the key of every
    pulled referral costs next to nothing; `parse_envelope` or opening checks the rest.
    """
    header = bytes(blob[: len(MAGIC) + 1 + KEY_ID_SIZE])
    if len(header) != len(MAGIC) + 1 + KEY_ID_SIZE or header[: len(MAGIC)] != MAGIC:
        raise DecryptionError
    if header[len(MAGIC)] not in SUPPORTED_VERSIONS:
        raise DecryptionError
    return header[len(MAGIC) + 1 :].hex()


def envelope_version(blob: bytes) -> int:
    """The format version of a well-formed envelope (no decryption needed)."""
    return parse_envelope(blob).version


def _seal_field(data_key: bytes, record_aad: bytes, name: str, value: str) -> bytes:
    if not isinstance(value, str):
        raise CryptoError(f"field {name!r} must be a string")
    try:
        padded = pad(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise CryptoError(f"field {name!r} is not valid Unicode text") from None
    except CryptoError as exc:
        raise CryptoError(f"field {name!r}: {exc}") from None
    return wrap(padded, data_key, _named(record_aad, name))


def _open_field(data_key: bytes, record_aad: bytes, name: str, body: bytes) -> str:
    padded = unwrap(body, data_key, _named(record_aad, name))
    try:
        return unpad(padded).decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError from None


def seal_record(
    kind: str,
    record_id: str,
    fields: Mapping[str, str],
    recipient: PublicKey,
    *,
    referrer: ReferrerBinding | None = None,
) -> bytes:
    """Encrypt `fields` (always the same fixed set of names per kind) to `recipient`.

    With `referrer`, writes a version 2 envelope carrying the binding inside the sealed part;
    without, version 1.
    """
    if referrer is not None and not isinstance(referrer, ReferrerBinding):
        raise CryptoError("referrer must be a ReferrerBinding")
    if not isinstance(recipient, PublicKey):
        raise CryptoError("recipient must be a PublicKey")
    version = FORMAT_VERSION if referrer is None else REFERRAL_FORMAT_VERSION
    names = sorted(fields)  # code-point order == UTF-8 byte order, as parse_envelope requires
    if len(names) > MAX_FIELDS:
        raise CryptoError(f"an envelope holds at most {MAX_FIELDS} fields")
    data_key = secrets.token_bytes(DATA_KEY_SIZE)
    payload = data_key if referrer is None else data_key + referrer.to_bytes()
    key_id = recipient.key_id_bytes
    sealed_key = seal(recipient, payload, hpke_info(kind, record_id, key_id, names, version))
    record_aad = _record_aad(kind, record_id, version)
    bodies = tuple((name, _seal_field(data_key, record_aad, name, fields[name])) for name in names)
    return EnvelopeParts(version, key_id, sealed_key, bodies).to_bytes()


def _choose_key(key_id: bytes, keys: Mapping[str, PrivateKey] | PrivateKey) -> PrivateKey:
    key = keys if isinstance(keys, PrivateKey) else keys.get(key_id.hex())
    if key is None or not hmac.compare_digest(key.public_key.key_id_bytes, key_id):
        raise DecryptionError
    return key


def open_envelope(
    kind: str,
    record_id: str,
    blob: bytes,
    private_keys: Mapping[str, PrivateKey] | PrivateKey,
) -> OpenedEnvelope:
    """Decrypt an envelope of any supported version, with its referrer binding if it has one.

    Any failure at all raises the same DecryptionError. A v1 envelope has `referrer=None`;
    callers that require a binding (new referrals) must check for it.
    """
    try:
        parts = parse_envelope(blob)
        key = _choose_key(parts.key_id, private_keys)
        names = [name for name, _ in parts.fields]
        info = hpke_info(kind, record_id, parts.key_id, names, parts.version)
        payload = open_sealed(key, parts.sealed_key, info)
        referrer: ReferrerBinding | None = None
        if parts.version == FORMAT_VERSION:
            if len(payload) != DATA_KEY_SIZE:
                raise DecryptionError
        else:
            referrer = ReferrerBinding.from_bytes(payload[DATA_KEY_SIZE:])
        data_key = payload[:DATA_KEY_SIZE]
        record_aad = _record_aad(kind, record_id, parts.version)
        fields = {
            name: _open_field(data_key, record_aad, name, body) for name, body in parts.fields
        }
        return OpenedEnvelope(parts.version, fields, referrer)
    except CryptoError:
        raise DecryptionError from None


def open_record(
    kind: str,
    record_id: str,
    blob: bytes,
    private_keys: Mapping[str, PrivateKey] | PrivateKey,
) -> dict[str, str]:
    """Decrypt an envelope (v1 or v2) to its fields; any failure raises the same DecryptionError.

    A v2 envelope's referrer binding is not returned here: use `open_envelope` for it.
    """
    return open_envelope(kind, record_id, blob, private_keys).fields
