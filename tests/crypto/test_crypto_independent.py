"""A second implementation of docs/envelope-format.md, written from the document alone.

It uses only primitives (ML-KEM, X25519, SHA3, HMAC, HKDF, AES-GCM, Argon2, ML-DSA,
Ed25519), never the `crypto` package, and must open the committed v1 and v2 vectors. If this
and the package disagree, the document is wrong or incomplete.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import struct
import unicodedata
from pathlib import Path

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa, mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "envelope-v1.json").read_text(encoding="utf-8")
)
V2 = json.loads((Path(__file__).parent / "vectors" / "envelope-v2.json").read_text("utf-8"))
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


def read_any_envelope(
    private: bytes, kind: str, record_id: str, blob: bytes
) -> tuple[int, dict[str, str], bytes]:
    """(version, fields, what was sealed after the 32-byte data key) for a v1 or v2 envelope."""
    assert blob[:3] == b"SRE" and blob[3] in (1, 2)
    version = blob[3]
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
    k, r, v = kind.encode(), record_id.encode(), bytes([version])
    info = (
        lp(b"safe-referral/envelope/data-key")
        + v
        + lp(k)
        + lp(r)
        + lp(key_id)
        + struct.pack(">I", count)
        + b"".join(lp(name.encode()) for name, _ in fields)
    )
    payload = hpke_open(private, sealed_key, info)
    assert len(payload) == (32 if version == 1 else 32 + 1216 + 32)
    data_key, binding = payload[:32], payload[32:]
    out = {}
    for name, body in fields:
        aad = lp(b"safe-referral/envelope/field") + v + lp(k) + lp(r) + lp(name.encode())
        padded = AESGCM(data_key).decrypt(body[:12], body[12:], aad)
        (length,) = struct.unpack(">I", padded[:4])
        assert len(padded) in (256, 1024, 4096, 16384, 65536) and not any(padded[4 + length :])
        out[name] = padded[4 : 4 + length].decode()
    return version, out, binding


def read_envelope(private: bytes, kind: str, record_id: str, blob: bytes) -> dict[str, str]:
    version, fields, binding = read_any_envelope(private, kind, record_id, blob)
    assert version == 1 and binding == b""
    return fields


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


# --- version 2: referrer binding, auth key, proofs, signing keys, key sets, custody --------

V2_PRIVATE = bytes.fromhex(V2["recipient"]["private_key_hex"])


def argon2_master(phrase: str, pepper: bytes, p: dict) -> bytes:
    return hash_secret_raw(
        phrase.encode(),
        pepper,
        time_cost=p["time_cost"],
        memory_cost=p["memory_kib"],
        parallelism=p["parallelism"],
        hash_len=32,
        type=Type.ID,
        version=0x13,
    )


def test_an_independent_reader_derives_the_auth_key_from_the_phrase():
    ref = V2["referrer"]
    master = argon2_master(ref["phrase"], bytes.fromhex(ref["pepper_hex"]), ref["params"])
    assert master.hex() == ref["master_hex"]
    auth_key = HKDF(hashes.SHA256(), 32, None, b"safe-referral/v1/referrer-auth-key").derive(master)
    assert auth_key.hex() == ref["auth_key_hex"]
    seed = HKDF(hashes.SHA256(), 96, None, b"safe-referral/v1/referrer-key").derive(master)
    assert public_key_bytes(seed).hex() == ref["public_key_hex"]


@pytest.mark.parametrize("vector", V2["envelopes"], ids=lambda v: v["record_id"])
def test_an_independent_reader_opens_the_v2_envelopes_and_their_binding(vector):
    blob = bytes.fromhex(vector["blob_hex"])
    version, fields, binding = read_any_envelope(
        V2_PRIVATE, vector["kind"], vector["record_id"], blob
    )
    assert version == 2
    assert fields == vector["fields"]
    reply_key, auth_key = binding[:1216], binding[1216:]
    assert reply_key.hex() == V2["referrer"]["public_key_hex"]
    assert auth_key.hex() == V2["referrer"]["auth_key_hex"]


@pytest.mark.parametrize("vector", V2["envelopes"], ids=lambda v: v["record_id"])
def test_an_independent_reader_cannot_open_a_v2_envelope_as_v1(vector):
    blob = bytearray(bytes.fromhex(vector["blob_hex"]))
    blob[3] = 1
    with pytest.raises(Exception):  # noqa: B017 - any failure at all is the point
        read_envelope(V2_PRIVATE, vector["kind"], vector["record_id"], bytes(blob))


@pytest.mark.parametrize("vector", V2["proofs"], ids=lambda v: f"{v['kind']}-{v['position']}")
def test_an_independent_implementation_computes_the_proofs(vector):
    message = (
        lp(b"safe-referral/v1/proof")
        + lp(vector["referral_id"].encode())
        + lp(vector["direction"].encode())
        + lp(vector["kind"].encode())
        + struct.pack(">Q", vector["position"])
        + lp(bytes.fromhex(vector["body_hex"]))
    )
    assert message.hex() == vector["input_hex"]
    key = bytes.fromhex(vector["auth_key_hex"])
    assert hmac.new(key, message, "sha256").hexdigest() == vector["proof_hex"]


def signing_ids(verify_key: bytes) -> tuple[bytes, str]:
    key_id = hashlib.sha256(b"safe-referral/v1/signing-key-id\x00" + verify_key).digest()[:16]
    fp = hashlib.sha256(b"safe-referral/v1/signing-fingerprint\x00" + verify_key)
    digits = fp.hexdigest()[:32].upper()
    return key_id, " ".join(digits[i : i + 4] for i in range(0, 32, 4))


def hybrid_verify(verify_key: bytes, context: str, message: bytes, signature: bytes) -> None:
    """Raise unless BOTH halves verify over lp(label) || lp(context) || lp(key id) || lp(msg)."""
    key_id, _ = signing_ids(verify_key)
    signed = lp(b"safe-referral/v1/signature") + lp(context.encode()) + lp(key_id) + lp(message)
    assert len(signature) == 3309 + 64
    mldsa.MLDSA65PublicKey.from_public_bytes(verify_key[:1952]).verify(signature[:3309], signed)
    ed25519.Ed25519PublicKey.from_public_bytes(verify_key[1952:]).verify(signature[3309:], signed)


def test_an_independent_reader_derives_the_signing_key_id_and_fingerprint():
    signer = V2["signing_key"]
    private = bytes.fromhex(signer["private_key_hex"])
    verify_key = (
        mldsa.MLDSA65PrivateKey.from_seed_bytes(private[:32]).public_key().public_bytes_raw()
        + ed25519.Ed25519PrivateKey.from_private_bytes(private[32:]).public_key().public_bytes_raw()
    )
    assert verify_key.hex() == signer["verify_key_hex"]
    key_id, fingerprint = signing_ids(verify_key)
    assert key_id.hex() == signer["key_id"]
    assert fingerprint == signer["fingerprint"]
    body = "".join(signer["verify_key_text"].splitlines()[1:-1])
    assert base64.b64decode(body) == verify_key


@pytest.mark.parametrize("vector", V2["signing_key"]["signatures"], ids=lambda v: v["context"])
def test_an_independent_reader_verifies_the_recorded_signatures(vector):
    verify_key = bytes.fromhex(V2["signing_key"]["verify_key_hex"])
    message = bytes.fromhex(vector["message_hex"])
    hybrid_verify(verify_key, vector["context"], message, bytes.fromhex(vector["signature_hex"]))


def test_an_independent_reader_parses_and_verifies_the_key_set():
    recorded = V2["key_set"]
    blob = bytes.fromhex(recorded["blob_hex"])
    assert blob[:4] == b"SRS\x01"
    (provider_len,) = struct.unpack(">I", blob[4:8])
    pos = 8 + provider_len
    provider = blob[8:pos].decode()
    (sequence,) = struct.unpack(">I", blob[pos : pos + 4])
    issued = blob[pos + 4 : pos + 14].decode()
    pos += 14
    verify_key = blob[pos : pos + 1984]
    count = blob[pos + 1984]
    pos += 1985
    keys = [blob[pos + 1216 * i : pos + 1216 * (i + 1)] for i in range(count)]
    pos += 1216 * count
    body, signature = blob[:pos], blob[pos:]
    assert len(signature) == 3373
    # The pinned fingerprint is what makes the embedded verify key trustworthy.
    assert signing_ids(verify_key)[1] == recorded["pinned_fingerprint"]
    hybrid_verify(verify_key, "recipient-key-set", body, signature)
    assert provider == recorded["provider"] and sequence == recorded["sequence"]
    assert dt.date.fromisoformat(issued).isoformat() == recorded["issued"] == issued
    key_ids = [hashlib.sha256(b"safe-referral/v1/key-id\x00" + k).digest()[:16].hex() for k in keys]
    assert key_ids == recorded["public_key_ids"]
    assert keys[0] == public_key_bytes(V2_PRIVATE)
    digest = hashlib.sha256(b"safe-referral/v1/key-set-digest\x00" + body).hexdigest()
    assert digest == recorded["digest"]


def test_an_independent_reader_opens_both_recovery_copies():
    custody = V2["custody"]
    raw = base64.b32decode(custody["recovery_key_text"].replace("-", ""))
    recovery_key = raw[:32]
    kek = HKDF(hashes.SHA256(), 32, None, b"safe-referral/v1/recovery-wrap").derive(recovery_key)
    recipient_copy = bytes.fromhex(custody["recipient_recovery_copy_hex"])
    assert recipient_copy[:4] == b"SRR\x01"
    recipient_id = bytes.fromhex(V2["recipient"]["key_id"])
    aad = lp(b"safe-referral/recovery") + b"\x01" + lp(recipient_id)
    assert AESGCM(kek).decrypt(recipient_copy[4:16], recipient_copy[16:], aad) == V2_PRIVATE
    signing_copy = bytes.fromhex(custody["signing_recovery_copy_hex"])
    assert signing_copy[:4] == b"SSR\x01"
    signing_id = bytes.fromhex(V2["signing_key"]["key_id"])
    aad = lp(b"safe-referral/recovery/signing-key") + b"\x01" + lp(signing_id)
    opened = AESGCM(kek).decrypt(signing_copy[4:16], signing_copy[16:], aad)
    assert opened.hex() == V2["signing_key"]["private_key_hex"]
