"""Stored XSS: a referral is attacker-controlled text shown to an advisor (threat 4).

Every sealed field, a referrer's message, a note, and even the clear service and id that a
hostile intake could send, carry a payload; every page shows them escaped and inert, and the
Content Security Policy would block inline script anyway.
"""

import re

import pytest
from markupsafe import escape

from app.questionnaire import journey
from tests.console.case_factory import Today, add_message, make_case, post_form

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
)
HOSTILE_ID = '"><img src=x onerror=alert(1)>'  # no "/", so it still routes


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch)


def assert_inert(html: str) -> None:
    assert "<script>alert(1)</script>" not in html
    assert "<img" not in html.lower()
    assert not re.search(r"<[^>]*\bonerror\s*=", html, re.IGNORECASE)
    assert not re.search(
        r"""\b(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_referral_whose_every_field_is_a_payload_renders_inert(
    console_app, provider_keys, advisor_client, today, payload
):
    key = provider_keys.recipient.public_key
    fields = dict.fromkeys(journey.SEALED_FIELDS, payload)
    case_id = make_case(console_app, key, fields=fields, service=payload[:16])
    add_message(console_app, key, case_id, payload)
    note = post_form(advisor_client, f"/cases/{case_id}/notes/new", {"body": payload})
    assert note.status_code == 303

    response = advisor_client.get(f"/cases/{case_id}")
    html = response.get_data(as_text=True)
    assert_inert(html)
    # Shown, escaped: once per sealed field, plus the message and the note.
    assert html.count(str(escape(payload))) >= len(journey.SEALED_FIELDS) + 2
    for page in ("/", f"/cases/{case_id}/progress", f"/cases/{case_id}/assign"):
        assert_inert(advisor_client.get(page).get_data(as_text=True))


def test_the_case_page_policy_allows_only_our_own_scripts(console_app, provider_keys,
                                                          advisor_client):
    case_id = make_case(console_app, provider_keys.recipient.public_key)
    policy = advisor_client.get(f"/cases/{case_id}").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'"


def test_a_hostile_case_id_from_intake_is_inert_in_the_inbox_and_on_the_case_page(
    console_app, provider_keys, advisor_client, today
):
    make_case(console_app, provider_keys.recipient.public_key, case_id=HOSTILE_ID)
    inbox = advisor_client.get("/").get_data(as_text=True)
    assert_inert(inbox)
    assert "/cases/%22%3E%3Cimg" in inbox
    page = advisor_client.get("/cases/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert page.status_code == 200
    assert_inert(page.get_data(as_text=True))


@pytest.mark.parametrize("suffix", ["", "?format=json"])
def test_an_export_of_a_hostile_referral_is_never_served_as_a_web_page(
    console_app, provider_keys, advisor_client, suffix
):
    fields = dict.fromkeys(journey.SEALED_FIELDS, PAYLOADS[0])
    case_id = make_case(console_app, provider_keys.recipient.public_key, fields=fields,
                        service="idva")
    response = advisor_client.get(f"/cases/{case_id}/export{suffix}")
    assert response.mimetype in ("text/plain", "application/json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment")
