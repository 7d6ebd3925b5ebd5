"""The order of the question pages, which apply to whom, and what the answers look like.

A short way through (issue 10): the required pages come first and lead straight to
check-your-answers; the optional pages are offered from there, as a walk through all of them
or one by one, so nobody has to page through questions they may not want to answer.

Answers live in the session as plain strings under each field's name; this module turns them
into the check-your-answers summary and into the fixed set of fields that gets sealed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from wtforms import Field
from wtforms.fields.core import UnboundField

from app.questionnaire import forms

Answers = dict[str, str]


def _always(_: Answers) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    slug: str
    form: type[forms.QuestionForm]
    heading: str
    applies: Callable[[Answers], bool] = _always
    required: bool = False
    # Offered from check-your-answers rather than on the way to it.
    optional: bool = False
    # Fields asked only of some people; the others never see them and seal them empty.
    field_applies: Mapping[str, Callable[[Answers], bool]] = dataclass_field(default_factory=dict)

    def asks(self, name: str, answers: Answers) -> bool:
        return self.field_applies.get(name, _always)(answers)

    def field_names(self) -> list[str]:
        """The page's answer fields in declaration order (no request needed)."""
        unbound = [
            (name, value)
            for name in dir(self.form)
            if isinstance(value := getattr(self.form, name), UnboundField) and name != "submit"
        ]
        return [name for name, _ in sorted(unbound, key=lambda item: item[1].creation_counter)]


def _wants_contact(answers: Answers) -> bool:
    return answers.get("contact_method") == "details"


def _may_be_isva(answers: Answers) -> bool:
    return answers.get("service") in ("isva", "not_sure")


STEPS: tuple[Step, ...] = (
    Step("service", forms.ServiceForm, "The support you want", required=True),
    Step("contact", forms.ContactForm, "Your name and how to contact you", required=True),
    Step(
        "contact-details",
        forms.ContactDetailsForm,
        "Your safe contact details",
        applies=_wants_contact,
        required=True,
    ),
    Step("confidentiality", forms.ConfidentialityForm, "Who can read your referral", required=True),
    Step("role", forms.RoleForm, "Your role", optional=True),
    Step("connection", forms.ConnectionForm, "The person harming you", optional=True),
    Step(
        "what-happened",
        forms.WhatHappenedForm,
        "What is happening",
        optional=True,
        field_applies={"recent": _may_be_isva},
    ),
    Step("access-needs", forms.AccessNeedsForm, "Help you need to use the service", optional=True),
    Step("equality", forms.EqualityForm, "Equality questions", optional=True),
)
BY_SLUG = {step.slug: step for step in STEPS}
OPTIONAL_STEPS = tuple(step for step in STEPS if step.optional)
# Every referral seals every field (empty when unanswered): the envelope's field names are
# visible, so a fixed set keeps them from revealing which questions someone answered.
SEALED_FIELDS: tuple[str, ...] = tuple(name for step in STEPS for name in step.field_names())


def applicable(answers: Answers) -> list[Step]:
    return [step for step in STEPS if step.applies(answers)]


def _sequence(answers: Answers, current: str) -> list[str]:
    """The pages walked through together with `current`: the required way, or the optional."""
    optional = current in BY_SLUG and BY_SLUG[current].optional
    return [step.slug for step in applicable(answers) if step.optional == optional]


def next_slug(answers: Answers, current: str) -> str | None:
    """The page after `current`, or None when the next page is check-your-answers."""
    slugs = _sequence(answers, current)
    index = slugs.index(current) if current in slugs else -1
    return slugs[index + 1] if index + 1 < len(slugs) else None


def previous_slug(answers: Answers, current: str) -> str | None:
    """The page before `current`, or None for the first of its sequence."""
    slugs = _sequence(answers, current)
    index = slugs.index(current) if current in slugs else 0
    return slugs[index - 1] if index > 0 else None


def page_title(answers: Answers, step: Step) -> str:
    """A neutral tab title (G7). The required pages are numbered without a total, which would
    change once someone chooses whether to give contact details; the optional pages are a
    fixed set, so their total never changes."""
    slugs = _sequence(answers, step.slug)
    number = slugs.index(step.slug) + 1 if step.slug in slugs else 1
    if step.optional:
        return f"Optional question {number} of {len(slugs)}"
    return f"Question {number}"


def first_missing(answers: Answers) -> str | None:
    """The first required page not yet answered, so check-your-answers is never premature."""
    for step in applicable(answers):
        if step.required and f"seen:{step.slug}" not in answers:
            return step.slug
    return None


def store(answers: Answers, step: Step, form: forms.QuestionForm) -> Answers:
    """The answers with this page's values replaced, and inapplicable pages dropped."""
    updated = dict(answers)
    for name in step.field_names():
        value = form[name].data
        if isinstance(value, list):
            value = ",".join(value)
        elif isinstance(value, bool):
            value = "yes" if value else ""
        updated[name] = value or ""
    updated[f"seen:{step.slug}"] = "yes"
    for other in STEPS:
        if not other.applies(updated):
            for name in other.field_names():
                updated.pop(name, None)
            updated.pop(f"seen:{other.slug}", None)
        for name in other.field_applies:
            if not other.asks(name, updated):
                updated.pop(name, None)
    return updated


def form_data(step: Step, answers: Answers) -> dict[str, object]:
    """Saved answers in the shape the page's form expects, to pre-fill it."""
    data: dict[str, object] = {}
    for field in step.form():
        if field.name in answers:
            value = answers[field.name]
            if field.type == "Flags":
                data[field.name] = [v for v in value.split(",") if v]
            elif field.type == "BooleanField":
                data[field.name] = value == "yes"
            else:
                data[field.name] = value or None
    return data


def sealed_fields(answers: Answers) -> dict[str, str]:
    return {name: answers.get(name, "") for name in SEALED_FIELDS}


@dataclass(frozen=True)
class SummaryRow:
    question: str
    answer: str
    slug: str
    optional: bool = False  # under "Optional questions" on check-your-answers
    unanswered: bool = False  # an optional page with no answer: one row, "Answer" not "Change"


def _shown(field: Field, value: str) -> str:
    labels = {choice.value: choice.label for choice in getattr(field, "choices", None) or []}
    if field.type == "BooleanField":
        return "Yes" if value == "yes" else "No"
    if not value:
        return "Not answered"
    if field.type == "Flags":
        return "; ".join(labels.get(v, v) for v in value.split(","))
    return labels.get(value, value)


def summary(answers: Answers) -> list[SummaryRow]:
    """Check-your-answers: every question of the required pages, then each optional page's
    answers given, or one "Not answered" row for an optional page left alone (a list of nine
    unanswered equality questions helps nobody)."""
    rows = []
    for step in applicable(answers):
        # No form data and no CSRF: the form is only asked for its words.
        form = step.form(formdata=None, meta={"csrf": False})
        step_rows = [
            SummaryRow(
                str(form[name].label.text),
                _shown(form[name], answers.get(name, "")),
                step.slug,
                optional=step.optional,
            )
            for name in step.field_names()
            if step.asks(name, answers) and (not step.optional or answers.get(name))
        ]
        if step.optional and not step_rows:
            step_rows = [SummaryRow(step.heading, "Not answered", step.slug, True, True)]
        rows += step_rows
    return rows
