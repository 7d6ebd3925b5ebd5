"""Write tests/crypto/vectors/envelope-v1.json, the test vectors for format version 1.

Run from the repository root:  .venv/bin/python tests/crypto/make_vectors.py [--force]

The v1 file is a fixed reference: once committed it must not be regenerated (that is what
--force is for, and it should never be needed). A new format version gets a new file.
HPKE and the nonces are randomised, so a blob is a vector of the form "this private key opens
this blob to these fields"; everything deterministic is given exactly.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crypto.envelope import (  # noqa: E402
    field_aad,
    hpke_info,
    parse_envelope,
    seal_record,
)
from crypto.keyfile import DEFAULT_PARAMS, TEST_PARAMS, Argon2Params, argon2id, protect  # noqa: E402
from crypto.keys import PrivateKey, open_sealed  # noqa: E402
from crypto.padding import BUCKETS, bucket_for, pad  # noqa: E402
from crypto.phrase import derive_referrer_secrets, normalise_phrase  # noqa: E402

OUT = Path(__file__).parent / "vectors" / "envelope-v1.json"
RECIPIENT_SEED = hashlib.shake_256(b"safe-referral test vector recipient key v1").digest(96)
PEPPER = hashlib.shake_256(b"safe-referral test vector pepper v1").digest(32)

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


def main() -> None:
    if OUT.exists() and "--force" not in sys.argv:
        sys.exit(f"{OUT} exists; v1 vectors are fixed. Use --force only if you mean it.")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
