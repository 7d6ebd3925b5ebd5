"""Signed values handed out with pages (app/web/signed.py) are exactly what itsdangerous and
Flask-WTF make and read themselves: the kept serializers only skip a zlib attempt that never
pays for values this short."""

from __future__ import annotations

import secrets
import time

import pytest
from flask import Flask, g, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import URLSafeTimedSerializer

from app.web import signed

KEY = "a key for these tests only"
# What the plain serializers sign: a CSRF secret, a cookie-only session.
SHORT = [secrets.token_hex(20),
         {"csrf_token": secrets.token_hex(20), "sid": secrets.token_urlsafe(16)}]
# Values zlib does shorten (a proof-of-work challenge is one: it keeps the library's serializer).
REPETITIVE = {"text": "the same words again " * 20}
NAMES = ["csrf secret", "cookie-only session", "repetitive", "challenge"]  # fixed test ids
CHALLENGE = {"p": "submit", "s": "s" + secrets.token_hex(12), "n": secrets.token_urlsafe(12),
             "b": 16, "i": 1796000000, "e": 1796001800}


def plain() -> signed.PlainURLSafeTimedSerializer:
    return signed.PlainURLSafeTimedSerializer(KEY, salt="s")


def library() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(KEY, salt="s")


@pytest.mark.parametrize("value", [*SHORT, REPETITIVE, CHALLENGE], ids=NAMES)
def test_itsdangerous_reads_what_the_plain_serializer_writes(value):
    assert library().loads(plain().dumps(value), max_age=60) == value


@pytest.mark.parametrize("value", [*SHORT, REPETITIVE, CHALLENGE], ids=NAMES)
def test_the_plain_serializer_reads_what_itsdangerous_writes_compressed_or_not(value):
    written = library().dumps(value)
    assert written.startswith(".") == (value is not SHORT[0] and value is not SHORT[1])
    assert plain().loads(written, max_age=60) == value


@pytest.mark.parametrize("value", SHORT, ids=NAMES[:2])
def test_a_short_value_is_signed_to_the_very_bytes_itsdangerous_writes(value):
    for _ in range(3):  # both signed within the same second, or tried again
        ours, theirs = plain().dumps(value), library().dumps(value)
        if ours.rsplit(".", 2)[1] == theirs.rsplit(".", 2)[1]:  # the same timestamp
            break
    assert ours == theirs


def test_the_csrf_token_is_the_one_flask_wtf_makes_for_the_same_secret(app: Flask):
    for _ in range(3):  # signed in the same second by both, or tried again
        with app.test_request_context("/referral/service"):
            ours = signed.csrf_token()
            secret = session["csrf_token"]
            assert g.csrf_token == ours  # Flask-WTF's forms reuse it for the rest of the request
            validate_csrf(ours)  # Flask-WTF's own check accepts it
            signed_at = time.time()
        with app.test_request_context("/referral/service"):
            session["csrf_token"] = secret
            theirs = generate_csrf()
        if int(time.time()) == int(signed_at):
            break
    assert ours == theirs


def test_a_session_without_a_secret_gets_one_made_as_flask_wtf_makes_it(app: Flask):
    with app.test_request_context("/"):
        token = signed.csrf_token()
        assert len(session["csrf_token"]) == 40 and int(session["csrf_token"], 16) >= 0
        assert signed.csrf_token() == token  # once per request, as Flask-WTF
