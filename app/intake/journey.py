"""The order of the question pages, which apply to whom, and what the answers look like.

Answers live in the session as plain strings under each field's name; this module turns them
into the check-your-answers summary and into the fixed set of fields that gets sealed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wtforms import Field
from wtforms.fields.core import UnboundField

from app.intake import forms

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
    Step("service", forms.ServiceForm, "What kind of support do you want?", required=True),
    Step("contact", forms.ContactForm, "How should the advisor contact you?", required=True),
    Step(
        "contact-details",
        forms.ContactDetailsForm,
        "Your safe contact details",
        applies=_wants_contact,
        required=True,
    ),
    Step("name", forms.NameForm, "What should we call you?", required=True),
    Step("role", forms.RoleForm, "Your role"),
    Step("connection", forms.ConnectionForm, "The person harming you"),
    Step("what-happened", forms.WhatHappenedForm, "What is happening"),
    Step("urgency", forms.UrgencyForm, "Urgency"),
    Step("access-needs", forms.AccessNeedsForm, "Access needs"),
    Step(
        "confidentiality",
        forms.ConfidentialityForm,
        "Confidentiality and its limits",
        required=True,
    ),
    Step("equality", forms.EqualityForm, "Equality monitoring (optional)"),
)
BY_SLUG = {step.slug: step for step in STEPS}
# Every referral seals every field (empty when unanswered): the envelope's field names are
# visible, so a fixed set keeps them from revealing which questions someone answered.
SEALED_FIELDS: tuple[str, ...] = tuple(name for step in STEPS for name in step.field_names())


def applicable(answers: Answers) -> list[Step]:
    return [step for step in STEPS if step.applies(answers)]


def next_slug(answers: Answers, current: str) -> str | None:
    """The page after `current`, or None when the next page is check-your-answers."""
    steps = applicable(answers)
    slugs = [step.slug for step in steps]
    index = slugs.index(current) if current in slugs else -1
    return slugs[index + 1] if index + 1 < len(slugs) else None


def previous_slug(answers: Answers, current: str) -> str | None:
    slugs = [step.slug for step in applicable(answers)]
    index = slugs.index(current) if current in slugs else 0
    return slugs[index - 1] if index > 0 else None


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
    rows = []
    for step in applicable(answers):
        for field in step.form():
            if field.name in ("submit", "csrf_token"):
                continue
            rows.append(
                SummaryRow(
                    str(field.label.text), _shown(field, answers.get(field.name, "")), step.slug
                )
            )
    return rows
