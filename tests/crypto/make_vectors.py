"""Write the test vectors: tests/crypto/vectors/envelope-v1.json and envelope-v2.json.

Run from the repository root:  .venv/bin/python tests/crypto/make_vectors.py [--force v1|v2]

Each file is written only if it does not exist yet. A committed file is a fixed reference and
must not be regenerated (that is what `--force <version>` is for, and it should never be
needed). A new format version gets a new file.
HPKE, the nonces and ML-DSA are randomised, so such a vector has the form "this private key
opens this blob to these fields" or "this verify key accepts this signature"; everything
deterministic is given exactly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crypto.custody import (  # noqa: E402
    wrap_for_recovery,
    wrap_signing_key_for_recovery,
)
from crypto.envelope import (  # noqa: E402
    ReferrerBinding,
    field_aad,
    hpke_info,
    parse_envelope,
    seal_record,
)
from crypto.key_set import sign_key_set, verify_key_set  # noqa: E402
from crypto.keyfile import DEFAULT_PARAMS, TEST_PARAMS, Argon2Params, argon2id, protect  # noqa: E402
from crypto.keys import PrivateKey, open_sealed  # noqa: E402
from crypto.padding import BUCKETS, bucket_for, pad  # noqa: E402
from crypto.phrase import derive_referrer_secrets, normalise_phrase  # noqa: E402
from crypto.proofs import Direction, proof_input, prove  # noqa: E402
from crypto.signing import SigningKey, _to_be_signed  # noqa: E402

OUT = Path(__file__).parent / "vectors" / "envelope-v1.json"
OUT_V2 = Path(__file__).parent / "vectors" / "envelope-v2.json"
RECIPIENT_SEED = hashlib.shake_256(b"safe-referral test vector recipient key v1").digest(96)
PEPPER = hashlib.shake_256(b"safe-referral test vector pepper v1").digest(32)
# v2 additions: a second (older) recipient key for the key set, and a signing key.
OLD_RECIPIENT_SEED = hashlib.shake_256(b"safe-referral test vector old recipient key v2").digest(96)
SIGNING_SEED = hashlib.shake_256(b"safe-referral test vector signing key v2").digest(64)
RECOVERY_KEY_TEXT = "FJOT-TVM3-KNID-BC6V-YHJJ-IFP2-M6DJ-XP36-GL5G-BJOZ-XVRU-2XPB-UCV2-A6XW"
REFERRER_PHRASE = "legal winner thank year wave sausage worth useful"
ENVELOPES_V2 = [
    (
        "referral",
        "3f6c1a0e-7d2b-4c8e-9a51-0b6f2d4e8c17",
        {
            "first_name": "Sam",
            "account": "He checks my phone.\nZoë said to call — «help» 💬",
            "safe_to_call": "yes",
            "access_needs": "",
        },
    ),
    ("referral", "r-no-fields", {}),
]
PROOFS: list[tuple[str, Direction, str, int, bytes]] = [
    ("3f6c1a0e-7d2b-4c8e-9a51-0b6f2d4e8c17", "referrer", "message", 0, b"sealed message"),
    ("3f6c1a0e-7d2b-4c8e-9a51-0b6f2d4e8c17", "referrer", "withdrawal", 1, b""),
    ("3f6c1a0e-7d2b-4c8e-9a51-0b6f2d4e8c17", "provider", "message", 0, b"sealed reply"),
    ("r-2", "provider", "deletion", 18446744073709551615, bytes(range(256))),
]
SIGNATURES = [
    ("recipient-key-set", b"hello"),
    ("reply", b""),
]

ENVELOPES = [
    (
        "referral",
        "3f6c1a0e-7d2b-4c8e-9a51-0b6f2d4e8c17",
        {
            "first_name": "Sam",
            "account": "He checks my phone.\nZoë said to call — «help» 💬",
            "safe_to_call": "yes",
            "access_needs": "",
        },
    ),
    ("message", "m-0001", {"body": "Thank you. Tuesday after 2pm is safe."}),
    ("note", "n-empty", {}),
]
PADDING_LENGTHS = [0, 5, 252, 253, 1020, 1021, 4092, 4093, 16380, 16381, 65532]
PHRASES = [
    ("abandon ability able about above absent absorb abstract", TEST_PARAMS),
    ("  Zoo-WRONG.youth,  zero\tzone   abandon  wrist ocean ", TEST_PARAMS),
    ("legal winner thank year wave sausage worth useful", DEFAULT_PARAMS),
]
NORMALISATION = [
    "legal winner thank year wave sausage worth useful",
    "  LEGAL  Winner-thank.year,wave sausage\nworth useful. ",
    "legal–winner—thank_year/wave;sausage:worth useful",
    "ｌｅｇａｌ winner thank year wave sausage worth useful",
]
REJECTED = [
    "legal winner thank year wave sausage worth",
    "legal winner thank year wave sausage worth useful legal",
    "legal winner thank year wave sausage worth usefull",
    "legal winner thank year wave sausage worth\x00useful",
    "",
]
KEYFILES = [("correct horse battery staple", "PRIVATE KEY"), ("café ☕ passphrase", "RECOVERY KEY")]


def params_json(params: Argon2Params) -> dict[str, int]:
    return {
        "time_cost": params.time_cost,
        "memory_kib": params.memory_kib,
        "parallelism": params.parallelism,
    }


def envelope_vector(key: PrivateKey, kind: str, record_id: str, fields: dict[str, str]) -> dict:
    blob = seal_record(kind, record_id, fields, key.public_key)
    parts = parse_envelope(blob)
    names = [name for name, _ in parts.fields]
    info = hpke_info(kind, record_id, parts.key_id, names)
    return {
        "kind": kind,
        "record_id": record_id,
        "fields": fields,
        "blob_hex": blob.hex(),
        "hpke_info_hex": info.hex(),
        "data_key_hex": open_sealed(key, parts.sealed_key, info).hex(),
        "field_aad_hex": {name: field_aad(kind, record_id, name).hex() for name in names},
    }


def padding_vector(length: int) -> dict:
    plaintext = b"hello" if length == 5 else b"x" * length
    padded = pad(plaintext)
    return {
        "plaintext_hex": plaintext.hex() if length <= 16 else None,
        "plaintext_repeat": None if length <= 16 else {"byte_hex": "78", "count": length},
        "bucket": bucket_for(length),
        "padded_prefix_hex": padded[:8].hex(),
        "padded_sha256": hashlib.sha256(padded).hexdigest(),
    }


def phrase_vector(phrase: str, params: Argon2Params) -> dict:
    normalised = normalise_phrase(phrase)
    secrets = derive_referrer_secrets(phrase, PEPPER, params)
    public = secrets.private_key.public_key
    return {
        "phrase_input": phrase,
        "normalised": normalised,
        "pepper_hex": PEPPER.hex(),
        "params": params_json(params),
        "master_hex": argon2id(normalised.encode("ascii"), PEPPER, params).hex(),
        "lookup_id": secrets.lookup_id,
        "referrer_private_key_hex": secrets.private_key.to_bytes().hex(),
        "referrer_public_key_sha256": hashlib.sha256(public.to_bytes()).hexdigest(),
        "referrer_key_id": public.key_id,
    }


def rejected_vector(text: str) -> dict:
    try:
        normalise_phrase(text)
    except ValueError as exc:
        return {"input": text, "error": str(exc)}
    raise AssertionError(f"{text!r} was accepted")


def build() -> dict:
    key = PrivateKey.from_bytes(RECIPIENT_SEED)
    public = key.public_key
    return {
        "description": "Safe Referral envelope format v1 test vectors; see docs/envelope-format.md",
        "format_version": 1,
        "recipient": {
            "private_key_hex": key.to_bytes().hex(),
            "public_key_hex": public.to_bytes().hex(),
            "public_key_sha256": hashlib.sha256(public.to_bytes()).hexdigest(),
            "key_id": public.key_id,
            "fingerprint": public.fingerprint,
            "public_key_text": public.to_text(),
        },
        "envelopes": [envelope_vector(key, *case) for case in ENVELOPES],
        "padding": {
            "buckets": list(BUCKETS),
            "vectors": [padding_vector(n) for n in PADDING_LENGTHS],
            "too_long_lengths": [65533, 70000],
        },
        "phrase_derivation": [phrase_vector(p, params) for p, params in PHRASES],
        "normalisation": {
            "accepted": [{"input": t, "output": normalise_phrase(t)} for t in NORMALISATION],
            "rejected": [rejected_vector(t) for t in REJECTED],
        },
        "keyfiles": [
            {
                "passphrase": passphrase,
                "label": label,
                "params": params_json(TEST_PARAMS),
                "secret_hex": RECIPIENT_SEED.hex(),
                "text": protect(RECIPIENT_SEED, passphrase, TEST_PARAMS, label=label),
            }
            for passphrase, label in KEYFILES
        ],
    }


# --- version 2 -----------------------------------------------------------------------------


def envelope_v2_vector(
    key: PrivateKey, kind: str, record_id: str, fields: dict[str, str], binding: ReferrerBinding
) -> dict:
    blob = seal_record(kind, record_id, fields, key.public_key, referrer=binding)
    parts = parse_envelope(blob)
    names = [name for name, _ in parts.fields]
    info = hpke_info(kind, record_id, parts.key_id, names, 2)
    payload = open_sealed(key, parts.sealed_key, info)
    return {
        "kind": kind,
        "record_id": record_id,
        "fields": fields,
        "blob_hex": blob.hex(),
        "hpke_info_hex": info.hex(),
        "sealed_payload_hex": payload.hex(),
        "data_key_hex": payload[:32].hex(),
        "field_aad_hex": {name: field_aad(kind, record_id, name, 2).hex() for name in names},
    }


def proof_vector(auth_key: bytes, case: tuple[str, Direction, str, int, bytes]) -> dict:
    referral_id, direction, kind, position, body = case
    input_bytes = proof_input(
        referral_id=referral_id, direction=direction, kind=kind, position=position, body=body
    )
    proof = prove(
        auth_key,
        referral_id=referral_id,
        direction=direction,
        kind=kind,
        position=position,
        body=body,
    )
    return {
        "auth_key_hex": auth_key.hex(),
        "referral_id": referral_id,
        "direction": direction,
        "kind": kind,
        "position": position,
        "body_hex": body.hex(),
        "input_hex": input_bytes.hex(),
        "proof_hex": proof.hex(),
    }


def build_v2() -> dict:
    key = PrivateKey.from_bytes(RECIPIENT_SEED)
    old = PrivateKey.from_bytes(OLD_RECIPIENT_SEED)
    signer = SigningKey.from_bytes(SIGNING_SEED)
    verify_key = signer.verify_key
    referrer = derive_referrer_secrets(REFERRER_PHRASE, PEPPER, TEST_PARAMS)
    normalised = normalise_phrase(REFERRER_PHRASE)
    key_set_blob = sign_key_set(
        signer,
        provider="Example Advocacy Service",
        sequence=3,
        issued=dt.date(2026, 12, 5),
        public_keys=[key.public_key, old.public_key],
    )
    key_set = verify_key_set(key_set_blob, verify_key.fingerprint)
    return {
        "description": "Safe Referral envelope format v2 test vectors; see docs/envelope-format.md",
        "format_version": 2,
        "recipient": {
            "private_key_hex": key.to_bytes().hex(),
            "public_key_hex": key.public_key.to_bytes().hex(),
            "key_id": key.key_id,
        },
        "referrer": {
            "phrase": normalised,
            "pepper_hex": PEPPER.hex(),
            "params": params_json(TEST_PARAMS),
            "master_hex": argon2id(normalised.encode("ascii"), PEPPER, TEST_PARAMS).hex(),
            "lookup_id": referrer.lookup_id,
            "private_key_hex": referrer.private_key.to_bytes().hex(),
            "public_key_hex": referrer.private_key.public_key.to_bytes().hex(),
            "auth_key_hex": referrer.auth_key.hex(),
        },
        "envelopes": [envelope_v2_vector(key, *case, referrer.binding) for case in ENVELOPES_V2],
        "proofs": [proof_vector(referrer.auth_key, case) for case in PROOFS],
        "signing_key": {
            "private_key_hex": signer.to_bytes().hex(),
            "verify_key_hex": verify_key.to_bytes().hex(),
            "verify_key_sha256": hashlib.sha256(verify_key.to_bytes()).hexdigest(),
            "key_id": verify_key.key_id,
            "fingerprint": verify_key.fingerprint,
            "verify_key_text": verify_key.to_text(),
            "signatures": [
                {
                    "context": context,
                    "message_hex": message.hex(),
                    "signed_input_hex": _to_be_signed(
                        context, verify_key.key_id_bytes, message
                    ).hex(),
                    "signature_hex": signer.sign(context, message).hex(),
                }
                for context, message in SIGNATURES
            ],
        },
        "key_set": {
            "pinned_fingerprint": verify_key.fingerprint,
            "provider": key_set.provider,
            "sequence": key_set.sequence,
            "issued": key_set.issued.isoformat(),
            "public_key_ids": list(key_set.key_ids),
            "blob_hex": key_set_blob.hex(),
            "digest": key_set.digest,
        },
        "custody": {
            "recovery_key_text": RECOVERY_KEY_TEXT,
            "recipient_recovery_copy_hex": wrap_for_recovery(key, RECOVERY_KEY_TEXT).hex(),
            "signing_recovery_copy_hex": wrap_signing_key_for_recovery(
                signer, RECOVERY_KEY_TEXT
            ).hex(),
        },
    }


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def main() -> None:
    forced = {arg for arg in sys.argv[1:] if arg != "--force"}
    if not forced <= {"v1", "v2"} or bool(forced) != ("--force" in sys.argv):
        sys.exit("usage: make_vectors.py [--force v1|v2]  (committed vectors are fixed)")
    for version, path, build_one in (("v1", OUT, build), ("v2", OUT_V2, build_v2)):
        if path.exists() and version not in forced:
            print(f"{path} exists; kept (vectors are fixed once committed)")
            continue
        _write(path, build_one())


if __name__ == "__main__":
    main()
