"""The committed v1 vectors must keep working: a format change breaks these tests."""

import hashlib
import json
from pathlib import Path

import pytest

from crypto import (
    CryptoError,
    PhraseError,
    PrivateKey,
    PublicKey,
    derive_referrer_secrets,
    normalise_phrase,
    open_record,
    unprotect,
)
from crypto.envelope import field_aad, hpke_info, parse_envelope
from crypto.keyfile import DEFAULT_PARAMS, Argon2Params, argon2id
from crypto.keys import open_sealed
from crypto.padding import BUCKETS, bucket_for, pad

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "envelope-v1.json").read_text(encoding="utf-8")
)
RECIPIENT = VECTORS["recipient"]


def _params(raw: dict) -> Argon2Params:
    params = Argon2Params(**raw)
    if params == DEFAULT_PARAMS:
        return params
    return Argon2Params(**raw, minimum_enforced=False)


def test_the_vectors_are_for_format_version_1():
    assert VECTORS["format_version"] == 1


def test_the_fixed_key_gives_the_recorded_public_key_key_id_and_fingerprint():
    key = PrivateKey.from_bytes(bytes.fromhex(RECIPIENT["private_key_hex"]))
    public = key.public_key
    assert public.to_bytes().hex() == RECIPIENT["public_key_hex"]
    assert hashlib.sha256(public.to_bytes()).hexdigest() == RECIPIENT["public_key_sha256"]
    assert public.key_id == RECIPIENT["key_id"]
    assert public.fingerprint == RECIPIENT["fingerprint"]
    assert public.to_text() == RECIPIENT["public_key_text"]
    assert PublicKey.from_text(RECIPIENT["public_key_text"]) == public


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["kind"])
def test_the_fixed_key_opens_each_recorded_envelope_to_its_fields(vector):
    key = PrivateKey.from_bytes(bytes.fromhex(RECIPIENT["private_key_hex"]))
    blob = bytes.fromhex(vector["blob_hex"])
    assert open_record(vector["kind"], vector["record_id"], blob, key) == vector["fields"]


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["kind"])
def test_the_recorded_info_aad_and_data_key_match_the_code(vector):
    key = PrivateKey.from_bytes(bytes.fromhex(RECIPIENT["private_key_hex"]))
    parts = parse_envelope(bytes.fromhex(vector["blob_hex"]))
    names = [name for name, _ in parts.fields]
    info = hpke_info(vector["kind"], vector["record_id"], parts.key_id, names)
    assert info.hex() == vector["hpke_info_hex"]
    assert open_sealed(key, parts.sealed_key, info).hex() == vector["data_key_hex"]
    for name in names:
        aad = field_aad(vector["kind"], vector["record_id"], name)
        assert aad.hex() == vector["field_aad_hex"][name]


@pytest.mark.parametrize("vector", VECTORS["padding"]["vectors"], ids=lambda v: str(v["bucket"]))
def test_padding_matches_the_recorded_vectors(vector):
    if vector["plaintext_hex"] is not None:
        plaintext = bytes.fromhex(vector["plaintext_hex"])
    else:
        repeat = vector["plaintext_repeat"]
        plaintext = bytes.fromhex(repeat["byte_hex"]) * repeat["count"]
    padded = pad(plaintext)
    assert len(padded) == vector["bucket"] == bucket_for(len(plaintext))
    assert padded[:8].hex() == vector["padded_prefix_hex"]
    assert hashlib.sha256(padded).hexdigest() == vector["padded_sha256"]


def test_the_recorded_buckets_and_limits_match_the_code():
    assert tuple(VECTORS["padding"]["buckets"]) == BUCKETS
    for length in VECTORS["padding"]["too_long_lengths"]:
        with pytest.raises(CryptoError, match="too long"):
            bucket_for(length)


CHEAP_PHRASES = [v for v in VECTORS["phrase_derivation"] if v["params"]["memory_kib"] < 1024]
REAL_PHRASES = [v for v in VECTORS["phrase_derivation"] if v not in CHEAP_PHRASES]


def _check_phrase_vector(vector: dict) -> None:
    params = _params(vector["params"])
    pepper = bytes.fromhex(vector["pepper_hex"])
    assert normalise_phrase(vector["phrase_input"]) == vector["normalised"]
    master = argon2id(vector["normalised"].encode("ascii"), pepper, params)
    assert master.hex() == vector["master_hex"]
    secrets = derive_referrer_secrets(vector["phrase_input"], pepper, params)
    assert secrets.lookup_id == vector["lookup_id"]
    assert secrets.private_key.to_bytes().hex() == vector["referrer_private_key_hex"]
    public = secrets.private_key.public_key.to_bytes()
    assert hashlib.sha256(public).hexdigest() == vector["referrer_public_key_sha256"]
    assert secrets.private_key.key_id == vector["referrer_key_id"]


@pytest.mark.parametrize("vector", CHEAP_PHRASES, ids=lambda v: v["normalised"][:20])
def test_phrase_derivation_matches_the_recorded_vectors(vector):
    _check_phrase_vector(vector)


def test_phrase_derivation_with_the_real_default_params_matches_its_vector():
    # The one test that pays for the production Argon2id cost (64 MiB, t=3, p=4).
    (vector,) = REAL_PHRASES
    assert _params(vector["params"]) == DEFAULT_PARAMS
    _check_phrase_vector(vector)


@pytest.mark.parametrize("vector", VECTORS["normalisation"]["accepted"], ids=repr)
def test_normalisation_matches_the_recorded_accepted_inputs(vector):
    assert normalise_phrase(vector["input"]) == vector["output"]


@pytest.mark.parametrize("vector", VECTORS["normalisation"]["rejected"], ids=repr)
def test_normalisation_matches_the_recorded_rejections(vector):
    with pytest.raises(PhraseError) as caught:
        normalise_phrase(vector["input"])
    assert str(caught.value) == vector["error"]


@pytest.mark.parametrize("vector", VECTORS["keyfiles"], ids=lambda v: v["label"])
def test_the_recorded_key_files_open_with_their_passphrases(vector):
    secret = unprotect(vector["text"], vector["passphrase"], expected_label=vector["label"])
    assert secret.hex() == vector["secret_hex"]
