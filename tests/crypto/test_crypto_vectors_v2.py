"""The committed v2 vectors must keep working: a format change breaks these tests."""

import datetime as dt
import json
from pathlib import Path

import pytest

from crypto import (
    PrivateKey,
    SigningKey,
    VerifyKey,
    derive_referrer_secrets,
    open_envelope,
    open_signing_key_with_recovery,
    open_with_recovery,
    prove,
    verify_key_set,
    verify_proof,
)
from crypto.envelope import field_aad, hpke_info, parse_envelope
from crypto.keyfile import Argon2Params
from crypto.keys import open_sealed
from crypto.proofs import proof_input
from crypto.signing import _to_be_signed

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "envelope-v2.json").read_text(encoding="utf-8")
)
RECIPIENT = PrivateKey.from_bytes(bytes.fromhex(VECTORS["recipient"]["private_key_hex"]))
REFERRER = VECTORS["referrer"]
SIGNER = VECTORS["signing_key"]


def test_the_vectors_are_for_format_version_2() -> None:
    assert VECTORS["format_version"] == 2


def test_the_recorded_phrase_derives_the_recorded_auth_key_and_reply_key() -> None:
    params = Argon2Params(**REFERRER["params"], minimum_enforced=False)
    secrets = derive_referrer_secrets(
        REFERRER["phrase"], bytes.fromhex(REFERRER["pepper_hex"]), params
    )
    assert secrets.lookup_id == REFERRER["lookup_id"]
    assert secrets.auth_key.hex() == REFERRER["auth_key_hex"]
    assert secrets.private_key.to_bytes().hex() == REFERRER["private_key_hex"]
    assert secrets.private_key.public_key.to_bytes().hex() == REFERRER["public_key_hex"]


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["record_id"])
def test_the_fixed_key_opens_each_v2_envelope_to_its_fields_and_binding(vector: dict) -> None:
    opened = open_envelope(
        vector["kind"], vector["record_id"], bytes.fromhex(vector["blob_hex"]), RECIPIENT
    )
    assert opened.version == 2
    assert opened.fields == vector["fields"]
    assert opened.referrer is not None
    assert opened.referrer.public_key.to_bytes().hex() == REFERRER["public_key_hex"]
    assert opened.referrer.auth_key.hex() == REFERRER["auth_key_hex"]


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["record_id"])
def test_the_recorded_v2_info_aad_and_payload_match_the_code(vector: dict) -> None:
    parts = parse_envelope(bytes.fromhex(vector["blob_hex"]))
    names = [name for name, _ in parts.fields]
    info = hpke_info(vector["kind"], vector["record_id"], parts.key_id, names, 2)
    assert info.hex() == vector["hpke_info_hex"]
    payload = open_sealed(RECIPIENT, parts.sealed_key, info)
    assert payload.hex() == vector["sealed_payload_hex"]
    assert payload[:32].hex() == vector["data_key_hex"]
    assert payload[32:].hex() == REFERRER["public_key_hex"] + REFERRER["auth_key_hex"]
    for name in names:
        assert (
            field_aad(vector["kind"], vector["record_id"], name, 2).hex()
            == (vector["field_aad_hex"][name])
        )


@pytest.mark.parametrize("vector", VECTORS["proofs"], ids=lambda v: f"{v['kind']}-{v['position']}")
def test_proofs_match_the_recorded_vectors(vector: dict) -> None:
    key = bytes.fromhex(vector["auth_key_hex"])
    args = {
        "referral_id": vector["referral_id"],
        "direction": vector["direction"],
        "kind": vector["kind"],
        "position": vector["position"],
        "body": bytes.fromhex(vector["body_hex"]),
    }
    assert proof_input(**args).hex() == vector["input_hex"]
    assert prove(key, **args).hex() == vector["proof_hex"]
    assert verify_proof(key, bytes.fromhex(vector["proof_hex"]), **args)


def test_the_fixed_signing_key_gives_the_recorded_verify_key_id_and_fingerprint() -> None:
    key = SigningKey.from_bytes(bytes.fromhex(SIGNER["private_key_hex"]))
    assert key.verify_key.to_bytes().hex() == SIGNER["verify_key_hex"]
    assert key.key_id == SIGNER["key_id"]
    assert key.verify_key.fingerprint == SIGNER["fingerprint"]
    assert VerifyKey.from_text(SIGNER["verify_key_text"]) == key.verify_key


@pytest.mark.parametrize("vector", SIGNER["signatures"], ids=lambda v: v["context"])
def test_the_recorded_signatures_verify(vector: dict) -> None:
    verify_key = VerifyKey.from_bytes(bytes.fromhex(SIGNER["verify_key_hex"]))
    message = bytes.fromhex(vector["message_hex"])
    signed = _to_be_signed(vector["context"], verify_key.key_id_bytes, message)
    assert signed.hex() == vector["signed_input_hex"]
    verify_key.verify(vector["context"], message, bytes.fromhex(vector["signature_hex"]))


def test_the_recorded_key_set_verifies_against_its_pinned_fingerprint() -> None:
    recorded = VECTORS["key_set"]
    key_set = verify_key_set(bytes.fromhex(recorded["blob_hex"]), recorded["pinned_fingerprint"])
    assert key_set.provider == recorded["provider"]
    assert key_set.sequence == recorded["sequence"]
    assert key_set.issued == dt.date.fromisoformat(recorded["issued"])
    assert list(key_set.key_ids) == recorded["public_key_ids"]
    assert key_set.newest == RECIPIENT.public_key
    assert key_set.digest == recorded["digest"]


def test_the_recorded_recovery_copies_open_with_the_recorded_recovery_key() -> None:
    custody = VECTORS["custody"]
    text = custody["recovery_key_text"]
    recipient_copy = bytes.fromhex(custody["recipient_recovery_copy_hex"])
    signing_copy = bytes.fromhex(custody["signing_recovery_copy_hex"])
    assert open_with_recovery(recipient_copy, text, RECIPIENT.key_id) == RECIPIENT
    signing = open_signing_key_with_recovery(signing_copy, text, SIGNER["key_id"])
    assert signing.to_bytes().hex() == SIGNER["private_key_hex"]
