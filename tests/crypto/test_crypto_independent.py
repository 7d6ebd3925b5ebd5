"""A second implementation of docs/envelope-format.md, written from the document alone.

It uses only primitives (ML-KEM, X25519, SHA3, HMAC, HKDF, AES-GCM, Argon2), never the
`crypto` package, and must open the committed v1 vectors. If this and the package disagree,
the document is wrong or incomplete.
"""

import base64
import hashlib
import hmac
import json
import struct
import unicodedata
from pathlib import Path

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "envelope-v1.json").read_text(encoding="utf-8")
)
SUITE_ID = b"HPKE" + struct.pack(">HHH", 0x647A, 0x0001, 0x0002)


def lp(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def labeled_extract(salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(32), b"HPKE-v1" + SUITE_ID + label + ikm, "sha256").digest()


def labeled_expand(prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    full = struct.pack(">H", length) + b"HPKE-v1" + SUITE_ID + label + info
    return HKDFExpand(hashes.SHA256(), length, full).derive(prk)


def hpke_open(private: bytes, sealed: bytes, info: bytes) -> bytes:
    kem = mlkem.MLKEM768PrivateKey.from_seed_bytes(private[:64])
    dh = x25519.X25519PrivateKey.from_private_bytes(private[64:])
    enc, ciphertext = sealed[:1120], sealed[1120:]
    ct_x = enc[1088:]
    shared = hashlib.sha3_256(
        kem.decapsulate(enc[:1088])
        + dh.exchange(x25519.X25519PublicKey.from_public_bytes(ct_x))
        + ct_x
        + dh.public_key().public_bytes_raw()
        + bytes.fromhex("5c2e2f2f5e5c")
    ).digest()
    context = (
        b"\x00"
        + labeled_extract(b"", b"psk_id_hash", b"")
        + labeled_extract(b"", b"info_hash", info)
    )
    secret = labeled_extract(shared, b"secret", b"")
    key = labeled_expand(secret, b"key", context, 32)
    nonce = labeled_expand(secret, b"base_nonce", context, 12)
    return AESGCM(key).decrypt(nonce, ciphertext, b"")


def public_key_bytes(private: bytes) -> bytes:
    kem = mlkem.MLKEM768PrivateKey.from_seed_bytes(private[:64]).public_key()
    dh = x25519.X25519PrivateKey.from_private_bytes(private[64:]).public_key()
    return kem.public_bytes_raw() + dh.public_bytes_raw()


def read_envelope(private: bytes, kind: str, record_id: str, blob: bytes) -> dict[str, str]:
    assert blob[:4] == b"SRE\x01"
    key_id = blob[4:20]
    assert (
        key_id
        == hashlib.sha256(b"safe-referral/v1/key-id\x00" + public_key_bytes(private)).digest()[:16]
    )
    pos = 20

    def take_lp() -> bytes:
        nonlocal pos
        (length,) = struct.unpack(">I", blob[pos : pos + 4])
        pos += 4 + length
        return blob[pos - length : pos]

    sealed_key = take_lp()
    (count,) = struct.unpack(">I", blob[pos : pos + 4])
    pos += 4
    fields = [(take_lp().decode(), take_lp()) for _ in range(count)]
    assert pos == len(blob)
    k, r = kind.encode(), record_id.encode()
    info = (
        lp(b"safe-referral/envelope/data-key")
        + b"\x01"
        + lp(k)
        + lp(r)
        + lp(key_id)
        + struct.pack(">I", count)
        + b"".join(lp(name.encode()) for name, _ in fields)
    )
    data_key = hpke_open(private, sealed_key, info)
    out = {}
    for name, body in fields:
        aad = lp(b"safe-referral/envelope/field") + b"\x01" + lp(k) + lp(r) + lp(name.encode())
        padded = AESGCM(data_key).decrypt(body[:12], body[12:], aad)
        (length,) = struct.unpack(">I", padded[:4])
        assert len(padded) in (256, 1024, 4096, 16384, 65536) and not any(padded[4 + length :])
        out[name] = padded[4 : 4 + length].decode()
    return out


PRIVATE = bytes.fromhex(VECTORS["recipient"]["private_key_hex"])


def test_an_independent_reader_derives_the_key_id_and_fingerprint():
    public = public_key_bytes(PRIVATE)
    assert public.hex() == VECTORS["recipient"]["public_key_hex"]
    key_id = hashlib.sha256(b"safe-referral/v1/key-id\x00" + public).digest()[:16]
    assert key_id.hex() == VECTORS["recipient"]["key_id"]
    fp = hashlib.sha256(b"safe-referral/v1/fingerprint\x00" + public).hexdigest()[:32].upper()
    assert " ".join(fp[i : i + 4] for i in range(0, 32, 4)) == VECTORS["recipient"]["fingerprint"]
    body = "".join(VECTORS["recipient"]["public_key_text"].splitlines()[1:-1])
    assert base64.b64decode(body) == public


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["kind"])
def test_an_independent_reader_opens_the_recorded_envelopes(vector):
    blob = bytes.fromhex(vector["blob_hex"])
    assert read_envelope(PRIVATE, vector["kind"], vector["record_id"], blob) == vector["fields"]


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS["phrase_derivation"] if v["params"]["memory_kib"] < 1024],
    ids=lambda v: v["normalised"][:20],
)
def test_an_independent_reader_derives_the_phrase_secrets(vector):
    p = vector["params"]
    master = hash_secret_raw(
        vector["normalised"].encode(),
        bytes.fromhex(vector["pepper_hex"]),
        time_cost=p["time_cost"],
        memory_cost=p["memory_kib"],
        parallelism=p["parallelism"],
        hash_len=32,
        type=Type.ID,
        version=0x13,
    )

    def hkdf(info: bytes, length: int) -> bytes:
        return HKDF(hashes.SHA256(), length, salt=None, info=info).derive(master)

    assert hkdf(b"safe-referral/v1/lookup-id", 32).hex() == vector["lookup_id"]
    seed = hkdf(b"safe-referral/v1/referrer-key", 96)
    assert seed.hex() == vector["referrer_private_key_hex"]


@pytest.mark.parametrize("vector", VECTORS["keyfiles"], ids=lambda v: v["label"])
def test_an_independent_reader_opens_the_recorded_key_files(vector):
    lines = vector["text"].splitlines()
    assert lines[0] == f"-----BEGIN SAFE REFERRAL ENCRYPTED {vector['label']}-----"
    body = base64.b64decode("".join(lines[1:-1]))
    assert body[:4] == b"SRK\x01"
    t, m, p = struct.unpack(">III", body[4:16])
    header, nonce, ciphertext = body[:32], body[32:44], body[44:]
    password = unicodedata.normalize("NFC", vector["passphrase"]).encode()
    key = hash_secret_raw(
        password,
        body[16:32],
        time_cost=t,
        memory_cost=m,
        parallelism=p,
        hash_len=32,
        type=Type.ID,
        version=0x13,
    )
    secret = AESGCM(key).decrypt(nonce, ciphertext, header + lp(vector["label"].encode()))
    assert secret.hex() == vector["secret_hex"]
