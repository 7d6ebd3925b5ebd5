"""The journey (issue 10): a short required way to check-your-answers, optional pages offered
from there, a fixed set of sealed fields, stable tab titles and a check page that lists only
what was asked."""

from __future__ import annotations

from flask import Flask

from app.questionnaire import journey

# The envelope's field names are visible (DESIGN 4): the set must never depend on the route.
SEALED = {
    "service", "urgency", "name", "contact_method", "phone", "email", "safe_to_call",
    "safe_times", "voicemail", "safe_to_text", "someone_else_answers", "consent",
    "role_group", "police_connected", "account", "recent", "reported", "access_needs",
    "age_group", "sex", "gender_identity", "sexual_orientation", "ethnicity", "religion",
    "disability", "marital_status", "pregnancy",
}  # fmt: skip
DETAILS = {"service": "idva", "contact_method": "details"}
PHRASE_ONLY = {"service": "idva", "contact_method": "phrase_only"}


def walk(answers: journey.Answers, first: str) -> list[str]:
    slugs = [first]
    while (following := journey.next_slug(answers, slugs[-1])) is not None:
        slugs.append(following)
    return slugs


def test_the_sealed_fields_are_the_same_fixed_set_as_before():
    assert set(journey.SEALED_FIELDS) == SEALED
    assert len(journey.SEALED_FIELDS) == len(SEALED)
    assert set(journey.sealed_fields({})) == SEALED


def test_the_required_way_is_three_or_four_pages_and_then_check_your_answers():
    assert walk(DETAILS, "service") == ["service", "contact", "contact-details", "confidentiality"]
    assert walk(PHRASE_ONLY, "service") == ["service", "contact", "confidentiality"]


def test_urgency_is_asked_on_the_first_page():
    assert "urgency" in journey.BY_SLUG["service"].field_names()


def test_the_optional_pages_are_walked_together_from_check_your_answers():
    optional = [step.slug for step in journey.OPTIONAL_STEPS]
    assert optional == ["role", "connection", "what-happened", "access-needs", "equality"]
    assert walk(DETAILS, optional[0]) == optional
    assert journey.previous_slug(DETAILS, optional[0]) is None
    assert not any(step.required for step in journey.OPTIONAL_STEPS)


def test_every_optional_question_is_still_offered():
    offered = {name for step in journey.OPTIONAL_STEPS for name in step.field_names()}
    assert offered == {
        "role_group", "police_connected", "account", "recent", "reported", "access_needs",
        "age_group", "sex", "gender_identity", "sexual_orientation", "ethnicity", "religion",
        "disability", "marital_status", "pregnancy",
    }  # fmt: skip


def test_tab_titles_do_not_change_once_the_route_is_chosen():
    for slug in ("service", "contact"):
        before = journey.page_title({"service": "idva"}, journey.BY_SLUG[slug])
        assert before == journey.page_title(DETAILS, journey.BY_SLUG[slug])
        assert before == journey.page_title(PHRASE_ONLY, journey.BY_SLUG[slug])
        assert " of " not in before
    titles = [journey.page_title(DETAILS, step) for step in journey.OPTIONAL_STEPS]
    assert titles == [f"Optional question {n} of 5" for n in range(1, 6)]


def test_when_it_happened_is_asked_only_of_isva_or_not_sure(app: Flask):
    step = journey.BY_SLUG["what-happened"]
    assert not step.asks("recent", {"service": "idva"})
    assert step.asks("recent", {"service": "isva"})
    assert step.asks("recent", {"service": "not_sure"})
    with app.test_request_context():
        rows = journey.summary({**DETAILS, "account": "Since May"})
    assert "When did it happen? (optional)" not in {row.question for row in rows}


def test_an_answer_to_when_it_happened_is_dropped_when_the_service_becomes_idva(app: Flask):
    answers = {"service": "isva", "urgency": "", "recent": "recent"}
    with app.test_request_context(method="POST", data={"service": "idva"}):
        step = journey.BY_SLUG["service"]
        form = step.form(meta={"csrf": False})
        form.validate()
        updated = journey.store(answers, step, form)
    assert "recent" not in updated
    assert journey.sealed_fields(updated)["recent"] == ""


def test_unanswered_optional_pages_are_one_row_each_on_check_your_answers(app: Flask):
    with app.test_request_context():
        rows = journey.summary(DETAILS)
        answered = journey.summary({**DETAILS, "sex": "female", "ethnicity": "white_irish"})
    optional = [row for row in rows if row.optional]
    assert [(row.question, row.answer, row.unanswered) for row in optional] == [
        (step.heading, "Not answered", True) for step in journey.OPTIONAL_STEPS
    ]
    equality = [row for row in answered if row.slug == "equality"]
    assert [(row.question, row.answer) for row in equality] == [
        ("What is your sex?", "Female"),
        ("What is your ethnic group?", "White: Irish"),
    ]
