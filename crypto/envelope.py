"""The versioned referral envelope (docs/envelope-format.md is the normative description).

A fresh 256-bit data key is HPKE-sealed to the recipient; each field is padded to a size bucket
and encrypted with AES-256-GCM under that data key. The HPKE `info` binds the format version,
kind, record id, recipient key id and the list of field names; each field's AAD binds the
version, kind, record id and its own name. So ciphertexts cannot be moved between fields,
records or kinds, and fields cannot be dropped.

The field NAMES are visible in the blob (only the values are secret). Callers must therefore
always seal the same fixed set of field names for a given kind, using "" for an unanswered
question; otherwise which questions were answered would leak.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crypto._encoding import Reader, lp, u32
from crypto.aead import unwrap, wrap
from crypto.errors import CryptoError, DecryptionError
from crypto.keys import KEY_ID_SIZE, PrivateKey, PublicKey, open_sealed, seal
from crypto.padding import pad, unpad

MAGIC = b"SRE"
FORMAT_VERSION = 1
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


def hpke_info(kind: str, record_id: str, key_id: bytes, field_names: Sequence[str]) -> bytes:
    """The HPKE `info` under which the data key is sealed."""
    names = b"".join(lp(_utf8(name, "a field name")) for name in field_names)
    return (
        lp(INFO_LABEL)
        + bytes([FORMAT_VERSION])
        + lp(_utf8(kind, "kind"))
        + lp(_utf8(record_id, "record_id"))
        + lp(key_id)
        + u32(len(field_names))
        + names
    )


def field_aad(kind: str, record_id: str, name: str) -> bytes:
    """The AES-GCM associated data for one field."""
    return (
        lp(AAD_LABEL)
        + bytes([FORMAT_VERSION])
        + lp(_utf8(kind, "kind"))
        + lp(_utf8(record_id, "record_id"))
        + lp(_utf8(name, "a field name"))
    )


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
    if reader.take(len(MAGIC)) != MAGIC or reader.u8() != FORMAT_VERSION:
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
    return EnvelopeParts(FORMAT_VERSION, key_id, sealed_key, tuple(fields))


def recipient_key_id(blob: bytes) -> str:
    """The hex key id of the key an envelope was sealed to (no decryption needed)."""
    return parse_envelope(blob).key_id.hex()


def _seal_field(data_key: bytes, kind: str, record_id: str, name: str, value: str) -> bytes:
    if not isinstance(value, str):
        raise CryptoError(f"field {name!r} must be a string")
    try:
        padded = pad(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise CryptoError(f"field {name!r} is not valid Unicode text") from None
    except CryptoError as exc:
        raise CryptoError(f"field {name!r}: {exc}") from None
    return wrap(padded, data_key, field_aad(kind, record_id, name))


def _open_field(data_key: bytes, kind: str, record_id: str, name: str, body: bytes) -> str:
    padded = unwrap(body, data_key, field_aad(kind, record_id, name))
    try:
        return unpad(padded).decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError from None


def seal_record(
    kind: str, record_id: str, fields: Mapping[str, str], recipient: PublicKey
) -> bytes:
    """Encrypt `fields` (always the same fixed set of names per kind) to `recipient`."""
    names = sorted(fields)  # code-point order == UTF-8 byte order, as parse_envelope requires
    if len(names) > MAX_FIELDS:
        raise CryptoError(f"an envelope holds at most {MAX_FIELDS} fields")
    data_key = secrets.token_bytes(DATA_KEY_SIZE)
    key_id = recipient.key_id_bytes
    sealed_key = seal(recipient, data_key, hpke_info(kind, record_id, key_id, names))
    bodies = tuple(
        (name, _seal_field(data_key, kind, record_id, name, fields[name])) for name in names
    )
    return EnvelopeParts(FORMAT_VERSION, key_id, sealed_key, bodies).to_bytes()


def _choose_key(key_id: bytes, keys: Mapping[str, PrivateKey] | PrivateKey) -> PrivateKey:
    key = keys if isinstance(keys, PrivateKey) else keys.get(key_id.hex())
    if key is None or not hmac.compare_digest(key.public_key.key_id_bytes, key_id):
        raise DecryptionError
    return key


def open_record(
    kind: str,
    record_id: str,
    blob: bytes,
    private_keys: Mapping[str, PrivateKey] | PrivateKey,
) -> dict[str, str]:
    """Decrypt an envelope; any failure at all raises the same DecryptionError."""
    try:
        parts = parse_envelope(blob)
        key = _choose_key(parts.key_id, private_keys)
        names = [name for name, _ in parts.fields]
        info = hpke_info(kind, record_id, parts.key_id, names)
        data_key = open_sealed(key, parts.sealed_key, info)
        if len(data_key) != DATA_KEY_SIZE:
            raise DecryptionError
        return {
            name: _open_field(data_key, kind, record_id, name, body) for name, body in parts.fields
        }
    except CryptoError:
        raise DecryptionError from None
