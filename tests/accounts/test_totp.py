"""Time-based one-time codes (app.accounts.totp): the drift window, replays, typing, sealing."""

from __future__ import annotations

import pyotp
import pytest

from app.accounts import totp
from crypto.errors import DecryptionError

LABEL = b"safe-referral/v1/test-totp-secret"


def code_for(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)]
)
def test_codes_are_accepted_one_step_either_side_of_now_and_no_further(
    monkeypatch: pytest.MonkeyPatch, offset: int, accepted: bool
) -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    monkeypatch.setattr(totp.time, "time", lambda: now)
    step = totp.current_step() + offset
    assert (totp.matching_step(secret, code_for(secret, step), None) == step) is accepted


def test_a_code_at_or_before_the_last_used_step_never_matches() -> None:
    secret = totp.new_secret()
    step = totp.current_step()
    assert totp.matching_step(secret, code_for(secret, step), step) is None
    assert totp.matching_step(secret, code_for(secret, step), step - 1) == step


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_anything_but_six_digits_never_matches(typed: str) -> None:
    assert totp.matching_step(totp.new_secret(), typed, None) is None


def test_spaces_in_a_typed_code_are_ignored() -> None:
    secret = totp.new_secret()
    code = code_for(secret, totp.current_step())
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", None) == totp.current_step()


def test_a_sealed_totp_secret_opens_only_for_its_own_owner_secret_key_and_label() -> None:
    sealed = totp.seal_secret("JBSWY3DPEHPK3PXP", "app secret", "owner-a", LABEL)
    assert totp.open_secret(sealed, "app secret", "owner-a", LABEL) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(DecryptionError):
        totp.open_secret(sealed, "app secret", "owner-b", LABEL)
    with pytest.raises(DecryptionError):
        totp.open_secret(sealed, "another secret", "owner-a", LABEL)
    with pytest.raises(DecryptionError):
        totp.open_secret(sealed, "app secret", "owner-a", LABEL + b"-elsewhere")


def test_the_setup_qr_code_is_an_inline_svg_with_a_label_and_no_style() -> None:
    svg = str(totp.qr_svg(totp.provisioning_uri(totp.new_secret(), "a@b.test", "Issuer"), "QR"))
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="QR"' in svg
    assert "style=" not in svg
