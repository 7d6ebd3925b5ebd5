"""Bad input on every field gets a plain GOV.UK error message, never a 500 or raw HTML.

The fields come from the journey itself (`STEPS` and each page's form) plus the return and
message forms, so a field added later is covered without touching this file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from app.extensions import intake_db
from app.models.intake import Message, Referral
from app.questionnaire import forms
from app.questionnaire.journey import STEPS
from crypto.envelope import open_record
from tests.referrer import FULL_ANSWERS, Referrer

SCRIPT = "<script>alert(1)</script>"
BROKEN_OUT = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, BROKEN_OUT)
CONTROL_CHARACTERS = ("a\x00b", "\x00", "a\x1b[31mb", "ring\x07bell", "del\x7f", "form\x0cfeed")
MAX_CONTENT_LENGTH = 64 * 1024


@dataclass(frozen=True)
class FieldCase:
    page: str  # a question slug, "return" or "status"
    name: str
    kind: str  # "choice", "flags", "boolean" or "text"
    required: bool
    limit: int | None

    @property
    def url(self) -> str:
        return {"return": "/return", "status": "/status"}.get(self.page, f"/referral/{self.page}")

    @property
    def valid(self) -> dict[str, object]:
        """The rest of the page, correctly answered."""
        if self.page == "return":
            return {"phrase": "abandon ability able about above absent absorb abstract"}
        if self.page == "status":
            return {"body": "Mornings are best"}
        return dict(FULL_ANSWERS[self.page])

    def __str__(self) -> str:
        return f"{self.page}.{self.name}"


def _kind(field_class: type) -> str:
    if issubclass(field_class, SelectMultipleField):
        return "flags"
    if issubclass(field_class, RadioField):
        return "choice"
    if issubclass(field_class, BooleanField):
        return "boolean"
    if issubclass(field_class, StringField):
        return "text"
    return field_class.__name__


def _cases(page: str, form: type[forms.FlaskForm], names: list[str]) -> list[FieldCase]:
    cases = []
    for name in names:
        unbound = getattr(form, name)
        validators = unbound.kwargs.get("validators") or []
        cases.append(
            FieldCase(
                page,
                name,
                _kind(unbound.field_class),
                bool(unbound.kwargs.get("required"))  # Choice(required=True)
                or any(isinstance(v, InputRequired | DataRequired) for v in validators),
                next((v.max for v in validators if isinstance(v, Length)), None),
            )
        )
    return cases


FIELDS: list[FieldCase] = [
    *(case for step in STEPS for case in _cases(step.slug, step.form, step.field_names())),
    *_cases("return", forms.ReturnForm, ["phrase"]),
    *_cases("status", forms.MessageForm, ["body"]),
]
TEXT = [case for case in FIELDS if case.kind == "text"]
CHOICES = [case for case in FIELDS if case.kind in ("choice", "flags")]
REQUIRED = [case for case in FIELDS if case.required]
# A checkbox's value does not matter, only whether it was sent: no "wrong value" exists.
VALUED = [case for case in FIELDS if case.kind != "boolean"]


def test_every_field_is_of_a_kind_these_tests_know_how_to_attack():
    assert {case.kind for case in FIELDS} <= {"choice", "flags", "boolean", "text"}
    assert {"service", "name", "account", "consent", "urgency", "phrase", "body"} <= {
        case.name for case in FIELDS
    }
    assert all(case.limit for case in TEXT), [str(c) for c in TEXT if not c.limit]
    assert {str(case) for case in REQUIRED} >= {
        "service.service",
        "contact.contact_method",
        "contact.name",
        "confidentiality.consent",
        "return.phrase",
        "status.body",
    }


@pytest.fixture
def person(referrer: Referrer) -> Referrer:
    """Someone part-way through the journey, so every question page applies to them."""
    for slug in ("service", "contact"):
        assert referrer.answer(slug, FULL_ANSWERS[slug]).status_code == 303
    return referrer


def reach(person: Referrer, case: FieldCase) -> None:
    if case.page == "status":
        assert person.sign_in(person.refer()).status_code == 303
        vars(person).pop("csrf", None)  # signing in starts a new session with a new token


def token(person: Referrer) -> str:
    """This browser session's CSRF token (one per session, so fetched once)."""
    if "csrf" not in vars(person):
        vars(person)["csrf"] = token_for(person, "/return")
    return vars(person)["csrf"]


def submit(person: Referrer, case: FieldCase, value: object) -> tuple[int, str]:
    """Post the page with this field set to `value` (None: left out) and the rest valid."""
    data = case.valid
    data.pop(case.name, None)
    if value is not None:
        data[case.name] = value
    # The page's own hidden fields: its CSRF token and any proof-of-work challenge.
    response = person.client.post(case.url, data={**data, **person.hidden(case.url)})
    return response.status_code, response.get_data(as_text=True)


def token_for(person: Referrer, url: str) -> str:
    page = person.client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, url
    return match[1]


def form_body(person: Referrer, case: FieldCase, encoded_value: str) -> bytes:
    """The page's valid answers with this field's value already %-encoded, as raw bytes."""
    data = case.valid
    data.pop(case.name, None)
    data["csrf_token"] = token(person)
    return f"{urlencode(data, doseq=True)}&{case.name}={encoded_value}".encode("ascii")


def post_raw(person: Referrer, url: str, body: bytes):
    return person.client.post(url, data=body, content_type="application/x-www-form-urlencoded")


def assert_told_plainly(status: int, page: str, case: FieldCase) -> None:
    assert status == 200, (str(case), status, page[:1500])
    assert "There is a problem" in page, str(case)
    assert f'href="#{case.name}"' in page, str(case)
    assert "<title>Error: " in page, str(case)


def assert_never_raw(page: str) -> None:
    for payload in PAYLOADS:
        assert payload not in page
    assert "<script>alert" not in page
    assert "onerror=alert(1)>" not in page


# --- empty, too long, too big ------------------------------------------------------------------


@pytest.mark.parametrize("case", REQUIRED, ids=str)
def test_a_required_answer_left_out_empty_or_blank_is_told_plainly(person, case):
    reach(person, case)
    # A sent checkbox is ticked whatever its value, so only "left out" and "empty" apply to it.
    values = [None, ""] if case.kind == "boolean" else [None, "", "   \t  ", "\r\n"]
    for value in values:
        status, page = submit(person, case, value)
        assert_told_plainly(status, page, case)


def test_contact_details_without_a_phone_number_or_email_are_told_plainly(person):
    case = next(c for c in FIELDS if str(c) == "contact-details.phone")
    data = {**FULL_ANSWERS["contact-details"], "phone": "", "email": "  "}
    response = person.answer("contact-details", data)
    page = response.get_data(as_text=True)
    assert_told_plainly(response.status_code, page, case)
    assert "Enter a phone number or an email address" in page


@pytest.mark.parametrize("case", TEXT, ids=str)
def test_an_answer_too_long_for_its_box_is_told_plainly(person, case):
    reach(person, case)
    status, page = submit(person, case, "a" * (case.limit + 1))
    assert_told_plainly(status, page, case)
    assert f"{case.limit} characters or fewer" in page or case.page == "return"
    status, page = submit(person, case, "word " * 12_000)  # 60,000: under the request limit
    assert_told_plainly(status, page, case)


def test_a_request_over_the_size_limit_gets_a_plain_too_long_page_whatever_the_field(person):
    for case in FIELDS:
        reach(person, case)
        status, page = submit(person, case, "x" * 100_000)
        assert status == 413, str(case)
        assert "What you entered is too long" in page, str(case)
        assert "shorten your answer" in page, str(case)


def test_the_size_limit_is_64_kib(app, person):
    assert app.config["MAX_CONTENT_LENGTH"] == MAX_CONTENT_LENGTH
    prefix = urlencode({"csrf_token": token_for(person, "/referral/contact")}) + "&name="
    just_over = prefix + "a" * (MAX_CONTENT_LENGTH + 1 - len(prefix))
    assert post_raw(person, "/referral/contact", just_over.encode()).status_code == 413
    just_under = prefix + "a" * (MAX_CONTENT_LENGTH - 1 - len(prefix))
    response = post_raw(person, "/referral/contact", just_under.encode())
    assert response.status_code == 200  # read in full, then told the name is too long
    assert "Your name must be 60 characters or fewer" in response.get_data(as_text=True)


# --- wrong type --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted({case.page for case in CHOICES}))
def test_a_choice_that_is_not_one_of_the_options_is_told_plainly(person, page):
    for case in (case for case in CHOICES if case.page == page):
        check_choice_refuses_wrong_values(person, case)


def check_choice_refuses_wrong_values(person: Referrer, case: FieldCase) -> None:
    good = case.valid.get(case.name)
    good = good[0] if isinstance(good, list) else good or "prefer_not"
    near_misses = {f"{good} ", f" {good}", good.upper(), good.title(), f"{good}\x00"} - {good}
    for value in ["not-a-choice", "0", *near_misses, *PAYLOADS, *CONTROL_CHARACTERS]:
        status, page = submit(person, case, [value] if case.kind == "flags" else value)
        assert_told_plainly(status, page, case)
        assert_never_raw(page)
    # Several values where one is expected (or a wrong one among several ticked boxes).
    values = [good, "not-a-choice"] if case.kind == "flags" else ["not-a-choice", good]
    assert_told_plainly(*submit(person, case, values), case)
    # Bytes that are not UTF-8.
    response = post_raw(person, case.url, form_body(person, case, "%FF%FE"))
    assert_told_plainly(response.status_code, response.get_data(as_text=True), case)


# --- HTML, NUL and bytes that are not UTF-8 ---------------------------------------------------


@pytest.mark.parametrize("case", TEXT, ids=str)
def test_html_typed_into_a_text_box_is_never_sent_back_raw(person, case):
    reach(person, case)
    sent = [*PAYLOADS, [str(case.valid.get(case.name) or "a"), SCRIPT]]  # the last: two values
    for value in sent:
        status, page = submit(person, case, value)
        assert status in (200, 303), (str(case), status)
        assert_never_raw(page)
        if status == 200:
            assert "There is a problem" in page, str(case)
        else:  # accepted: the page shows the saved answer again, escaped
            assert_never_raw(person.client.get(case.url).get_data(as_text=True))


def test_html_in_answers_is_shown_escaped_and_stored_exactly_as_typed(app, referrer, provider_key):
    answers = {
        **FULL_ANSWERS,
        "contact": {**FULL_ANSWERS["contact"], "name": SCRIPT},
        "contact-details": {
            **FULL_ANSWERS["contact-details"],
            "safe_times": BROKEN_OUT,
            "someone_else_answers": SCRIPT,
        },
        "what-happened": {**FULL_ANSWERS["what-happened"], "account": f"{SCRIPT}\n{BROKEN_OUT}"},
        "access-needs": {"access_needs": BROKEN_OUT},
    }
    referrer.fill_in(answers)
    for slug in ("contact", "contact-details", "what-happened", "access-needs"):
        page = referrer.client.get(f"/referral/{slug}").get_data(as_text=True)
        assert_never_raw(page)
        assert "alert(1)" in page, slug  # pre-filled, escaped
    check = referrer.client.get("/referral/check").get_data(as_text=True)
    assert_never_raw(check)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in check
    assert "&lt;img src=x onerror=alert(1)&gt;" in check
    assert referrer.send().status_code == 303
    page = referrer.client.get("/referral/sent").get_data(as_text=True)
    phrase = " ".join(re.findall(r'class="app-phrase__word">([a-z]+)<', page))
    with app.app_context():
        referral = intake_db.session.scalars(sa.select(Referral)).one()
        fields = open_record("referral", referral.id, referral.sealed, provider_key)
    assert fields["name"] == SCRIPT
    assert fields["safe_times"] == BROKEN_OUT
    assert fields["someone_else_answers"] == SCRIPT
    assert fields["account"] == f"{SCRIPT}\n{BROKEN_OUT}"
    assert fields["access_needs"] == BROKEN_OUT

    assert referrer.sign_in(phrase).status_code == 303
    assert referrer.send_message(f"{SCRIPT} {BROKEN_OUT}").status_code == 303
    status = referrer.client.get("/status").get_data(as_text=True)
    assert_never_raw(status)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in status
    with app.app_context():
        message = intake_db.session.scalars(sa.select(Message)).one()
        opened = open_record("message", message.id, message.sealed_for_provider, provider_key)
    assert opened["body"] == f"{SCRIPT} {BROKEN_OUT}"


@pytest.mark.parametrize("case", TEXT, ids=str)
def test_nul_control_characters_and_bytes_that_are_not_utf8_never_get_in(person, case):
    reach(person, case)
    for value in [*CONTROL_CHARACTERS, "a\ufffdb"]:
        status, page = submit(person, case, value)
        assert_told_plainly(status, page, case)
    # Werkzeug keeps undecodable %-escapes as the literal text "%FF%FE", never as raw bytes,
    # so a text box either refuses it plainly or holds exactly that harmless text.
    response = post_raw(person, case.url, form_body(person, case, "a%FF%FEb"))
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 303), (str(case), response.status_code)
    if response.status_code == 200:
        assert "There is a problem" in page, str(case)
    elif case.page != "status":
        assert "a%FF%FEb" in person.client.get(case.url).get_data(as_text=True), str(case)


def test_a_body_of_raw_bytes_that_are_not_utf8_is_refused_without_a_crash(person):
    body = f"csrf_token={token_for(person, '/referral/contact')}&name=a".encode() + b"\xff\xfeb"
    response = post_raw(person, "/referral/contact", body)
    assert response.status_code == 400  # the form cannot be read at all, token included
    assert "This page has expired" in response.get_data(as_text=True)


# --- arbitrary text ----------------------------------------------------------------------------


ANY_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=250, max_size=2500),
)


@pytest.mark.parametrize("case", TEXT, ids=str)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=ANY_TEXT)
def test_any_text_in_a_text_box_is_either_accepted_or_told_plainly_never_a_crash(
    person, case, value
):
    if case.page == "status" and person.client.get("/status").status_code == 403:
        reach(person, case)  # once: the same person keeps sending messages
    status, page = submit(person, case, value)
    assert status in (200, 303), (status, page[:1500])
    if status == 200:
        assert "There is a problem" in page


# --- expired pages and pages that do not exist ------------------------------------------------


POST_PAGES = [
    *(f"/referral/{step.slug}" for step in STEPS),
    "/referral/check",
    "/return",
    "/status",
    "/status/delete",
]


def test_a_form_sent_without_its_security_token_gets_the_page_has_expired_message(person):
    person.sign_in(person.refer())  # signed in, so the status pages are reachable too
    data = {"service": "idva", "name": "Sam", "phrase": "x", "body": "x"}
    for url in POST_PAGES:
        for bad in (None, "", "not-a-real-token", token_for(person, "/return") + "x"):
            sent = data if bad is None else {**data, "csrf_token": bad}
            response = person.client.post(url, data=sent)
            assert response.status_code == 400, (url, bad)
            page = response.get_data(as_text=True)
            assert "This page has expired" in page
            assert "Go back, reload the page and try again" in page
    assert person.client.get("/status").status_code == 200  # nothing was deleted or sent


def test_a_security_token_from_another_browser_is_refused(person, client, app):
    other = app.test_client()
    response = other.post(
        "/referral/contact",
        data={"name": "Sam", "csrf_token": token_for(person, "/referral/contact")},
    )
    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)


def test_a_question_that_does_not_exist_is_page_not_found(person):
    token = token_for(person, "/referral/service")
    for slug in ["no-such-question", "check-answers", "SERVICE", "%3Cscript%3Ealert(1)"]:
        assert person.client.get(f"/referral/{slug}").status_code == 404, slug
        response = person.client.post(f"/referral/{slug}", data={"csrf_token": token})
        assert response.status_code == 404, slug
        page = response.get_data(as_text=True)
        assert "Page not found" in page
        assert "<script>" not in page
        followed = person.client.get(f"/referral/change/{slug}", follow_redirects=True)
        assert followed.status_code == 404, slug


def test_a_question_that_does_not_apply_to_the_person_is_page_not_found(referrer):
    referrer.answer("service", FULL_ANSWERS["service"])
    referrer.answer("contact", {"name": "Sam", "contact_method": "phrase_only"})
    assert referrer.client.get("/referral/contact-details").status_code == 404
    data = {**FULL_ANSWERS["contact-details"], "csrf_token": token_for(referrer, "/return")}
    assert referrer.client.post("/referral/contact-details", data=data).status_code == 404
