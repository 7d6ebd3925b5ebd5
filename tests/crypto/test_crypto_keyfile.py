import base64

import pytest

from crypto import Argon2Params, CryptoError, DecryptionError, protect, unprotect, unwrap, wrap
from crypto.keyfile import DEFAULT_PARAMS, TEST_PARAMS

SECRET = bytes(range(96))


def test_a_key_file_round_trips_with_the_right_passphrase():
    text = protect(SECRET, "correct horse battery staple", TEST_PARAMS)
    assert unprotect(text, "correct horse battery staple") == SECRET


def test_a_wrong_passphrase_fails():
    text = protect(SECRET, "correct horse battery staple", TEST_PARAMS)
    with pytest.raises(DecryptionError):
        unprotect(text, "correct horse battery stapler")


def test_the_key_file_is_armoured_text_naming_its_label():
    text = protect(SECRET, "pass", TEST_PARAMS, label="RECOVERY KEY")
    assert text.startswith("-----BEGIN SAFE REFERRAL ENCRYPTED RECOVERY KEY-----\n")
    assert text.endswith("-----END SAFE REFERRAL ENCRYPTED RECOVERY KEY-----\n")
    assert unprotect(text, "pass", expected_label="RECOVERY KEY") == SECRET
    with pytest.raises(DecryptionError):
        unprotect(text, "pass", expected_label="PRIVATE KEY")


def test_changing_the_label_in_the_header_fails():
    text = protect(SECRET, "pass", TEST_PARAMS).replace("PRIVATE KEY", "RECOVERY KEY")
    with pytest.raises(DecryptionError):
        unprotect(text, "pass")


def _body(text: str) -> bytes:
    return base64.b64decode("".join(text.splitlines()[1:-1]))


def _rebuild(body: bytes) -> str:
    encoded = base64.b64encode(body).decode()
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    return "\n".join(
        [
            "-----BEGIN SAFE REFERRAL ENCRYPTED PRIVATE KEY-----",
            *lines,
            "-----END SAFE REFERRAL ENCRYPTED PRIVATE KEY-----",
            "",
        ]
    )


def test_a_tampered_byte_anywhere_in_a_key_file_fails():
    body = _body(protect(SECRET, "pass", TEST_PARAMS))
    assert unprotect(_rebuild(body), "pass") == SECRET
    for position in range(len(body)):
        tampered = bytearray(body)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            unprotect(_rebuild(bytes(tampered)), "pass")


def test_a_key_file_claiming_absurd_costs_is_refused_without_running_argon2():
    body = bytearray(_body(protect(SECRET, "pass", TEST_PARAMS)))
    body[8:12] = (0xFFFFFFFF).to_bytes(4, "big")  # memory_kib
    with pytest.raises(DecryptionError):
        unprotect(_rebuild(bytes(body)), "pass")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "junk",
        "-----BEGIN SAFE REFERRAL PUBLIC KEY-----\n-----END SAFE REFERRAL PUBLIC KEY-----",
    ],
)
def test_something_that_is_not_a_key_file_fails(text):
    with pytest.raises(DecryptionError):
        unprotect(text, "pass")


def test_the_passphrase_is_unicode_normalised():
    text = protect(SECRET, "caf\u00e9", TEST_PARAMS)
    assert unprotect(text, "cafe\u0301") == SECRET


def test_an_empty_passphrase_is_refused():
    with pytest.raises(CryptoError):
        protect(SECRET, "", TEST_PARAMS)


@pytest.mark.parametrize("label", ["private key", "", "A  B", "X" * 31, "KEY-----\n"])
def test_a_bad_label_is_refused(label):
    with pytest.raises(CryptoError):
        protect(SECRET, "pass", TEST_PARAMS, label=label)


def test_the_defaults_are_rfc_9106s_second_recommendation_and_pass_validation():
    assert Argon2Params(time_cost=3, memory_kib=65536, parallelism=4) == DEFAULT_PARAMS
    assert Argon2Params().validate() == DEFAULT_PARAMS


@pytest.mark.parametrize(
    "params",
    [
        Argon2Params(time_cost=1, memory_kib=19456, parallelism=1),
        Argon2Params(time_cost=2, memory_kib=19455, parallelism=1),
        Argon2Params(time_cost=1, memory_kib=47103, parallelism=1),
        Argon2Params(time_cost=5, memory_kib=7168, parallelism=1),
        Argon2Params(time_cost=1, memory_kib=8, parallelism=1),
    ],
)
def test_params_below_the_owasp_minimum_are_refused_by_validate(params):
    with pytest.raises(CryptoError, match="OWASP"):
        params.validate()


@pytest.mark.parametrize(("time_cost", "memory_kib"), [(2, 19456), (1, 47104), (3, 65536)])
def test_params_at_the_owasp_minimum_pass_validate(time_cost, memory_kib):
    Argon2Params(time_cost=time_cost, memory_kib=memory_kib, parallelism=1).validate()


@pytest.mark.parametrize(
    "params",
    [
        Argon2Params(time_cost=0),
        Argon2Params(parallelism=0),
        Argon2Params(memory_kib=8 * 1024 * 1024),
        Argon2Params(time_cost=3.0),  # type: ignore[arg-type]
        Argon2Params(time_cost=True),  # type: ignore[arg-type]
        Argon2Params(time_cost=1, memory_kib=8, parallelism=2, minimum_enforced=False),
    ],
)
def test_structurally_impossible_params_are_refused(params):
    with pytest.raises(CryptoError, match="Argon2id parameters"):
        params.validate()


def test_weak_params_are_only_usable_when_explicitly_marked_for_tests():
    assert TEST_PARAMS.minimum_enforced is False
    TEST_PARAMS.validate()
    weak = Argon2Params(time_cost=1, memory_kib=8, parallelism=1)
    with pytest.raises(CryptoError):
        protect(SECRET, "pass", weak)


def test_wrap_and_unwrap_round_trip_and_bind_key_and_aad():
    key = bytes(32)
    blob = wrap(b"secret", key, b"aad")
    assert len(blob) == 12 + len(b"secret") + 16
    assert unwrap(blob, key, b"aad") == b"secret"
    for bad_key, bad_aad, bad_blob in [
        (b"\x01" * 32, b"aad", blob),
        (key, b"aae", blob),
        (key, b"aad", blob[:-1]),
        (key, b"aad", blob[:27]),
    ]:
        with pytest.raises(DecryptionError):
            unwrap(bad_blob, bad_key, bad_aad)


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_wrap_refuses_a_key_that_is_not_32_bytes(size):
    with pytest.raises(CryptoError):
        wrap(b"secret", bytes(size), b"")
