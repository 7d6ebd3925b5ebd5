"""The intake question pages (DESIGN section 5), one small form per page.

Every message follows the GOV.UK pattern: say what went wrong and how to fix it. Choices
are checked against the list (a forged value gets a message, never a 500), free text is
length-limited and refuses control characters such as NUL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from app.questionnaire import choices

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
PREFER_NOT = ("prefer_not", "Prefer not to say")


class Choice(RadioField):
    """Radios whose 'not a valid choice' message is written for people."""

    def __init__(
        self,
        label: str,
        options: Sequence[tuple[str, str]],
        *,
        message: str,
        required: bool = False,
        **kwargs: Any,
    ) -> None:
        validators = [InputRequired(message=message)] if required else [Optional()]
        super().__init__(
            label,
            choices=[SelectChoice(v, t) for v, t in options],
            validators=validators,
            widget=GovRadioInput(),
            **kwargs,
        )
        self.invalid_message = message

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data is not None and self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(self.invalid_message)


class Flags(SelectMultipleField):
    """Checkboxes; an unknown value gets a message rather than a crash."""

    def __init__(self, label: str, options: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(
            label,
            choices=[SelectChoice(v, t) for v, t in options],
            widget=GovCheckboxesInput(),
            **kwargs,
        )

    def pre_validate(self, form: FlaskForm) -> None:
        known = {choice.value for choice in self.choices}
        if any(value not in known for value in self.data or []):
            raise ValidationError("Select from the options shown")


def plain_text(name: str) -> Any:
    """Validator: no control characters (NUL, escape codes) or replacement characters (U+FFFD)."""

    def check(form: FlaskForm, field: Field) -> None:
        if field.data and CONTROL_CHARACTERS.search(field.data):
            raise ValidationError(f"{name} must only include letters, numbers and punctuation")

    return check


def text(
    label: str,
    name: str,
    limit: int,
    *,
    required: str | None = None,
    hint: str | None = None,
    extra: Sequence[Any] = (),
) -> StringField:
    # DataRequired, not InputRequired: an answer of only spaces is no answer.
    first = DataRequired(message=required) if required else Optional()
    return StringField(
        label,
        description=hint,
        validators=[
            first,
            Length(max=limit, message=f"{name} must be {limit} characters or fewer"),
            plain_text(name),
            *extra,
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        widget=GovTextInput(),
    )


def long_text(
    label: str, name: str, limit: int, hint: str | None = None, required: str | None = None
) -> TextAreaField:
    # DataRequired, not InputRequired: an answer of only spaces is no answer.
    first = DataRequired(message=required) if required else Optional()
    return TextAreaField(
        label,
        description=hint,
        validators=[
            first,
            Length(max=limit, message=f"{name} must be {limit} characters or fewer"),
            plain_text(name),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        widget=GovCharacterCount(),
    )


class QuestionForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ServiceForm(QuestionForm):
    service = Choice(
        "What kind of support do you want?",
        choices.SERVICES,
        message="Select the kind of support you want, or ‘I’m not sure’",
        required=True,
    )
    # On the first page, so triage never waits for the optional questions.
    urgency = Flags(
        "Is it urgent? (optional)",
        choices.URGENCY,
        description="Select all that apply.",
    )


class ContactForm(QuestionForm):
    name = text(
        "What should we call you?",
        "Your name",
        60,
        required="Enter a first name or another name we can call you",
        hint="A first name or any name you like. It does not need to be your real name.",
    )
    contact_method = Choice(
        "How should the advisor contact you?",
        choices.CONTACT_METHODS,
        message="Select how the advisor should contact you",
        required=True,
    )


class ContactDetailsForm(QuestionForm):
    phone = text(
        "Phone number",
        "Phone number",
        20,
        hint="Only give a number that is safe for us to use",
        extra=[Regexp(r"^\+?[0-9 ()-]{7,20}$", message="Enter a phone number, like 07700 900 982")],
    )
    email = text(
        "Email address",
        "Email address",
        254,
        hint="Only give an address that nobody else can read",
        extra=[
            Email(message="Enter an email address in the correct format, like name@example.com")
        ],
    )
    safe_to_call = Choice(
        "Is it safe to call this number?",
        choices.YES_NO,
        message="Select yes if it is safe to call you",
    )
    safe_times = text(
        "Safe days and times to contact you",
        "Safe days and times",
        200,
        hint="For example, weekdays between 10am and 2pm",
    )
    voicemail = Choice(
        "What can we leave in a voicemail?",
        choices.VOICEMAIL,
        message="Select what we can leave in a voicemail",
    )
    safe_to_text = Choice(
        "Is it safe to send you a text message?",
        choices.YES_NO,
        message="Select yes if it is safe to text you",
    )
    someone_else_answers = text(
        "What should we do if someone else answers?",
        "This answer",
        200,
        hint="For example, say it is a wrong number",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.phone.data or self.email.data):
            self.phone.errors = [*self.phone.errors, "Enter a phone number or an email address"]
            return False
        return valid


class RoleForm(QuestionForm):
    role_group = Choice(
        "What is your role? (optional)",
        (*choices.ROLE_GROUPS, PREFER_NOT),
        message="Select your role, or ‘Prefer not to say’",
    )


class ConnectionForm(QuestionForm):
    police_connected = Choice(
        "Is the person harming you connected to the police? (optional)",
        (*choices.CONNECTION, PREFER_NOT),
        message="Select whether the person is connected to the police",
    )


class WhatHappenedForm(QuestionForm):
    account = long_text(
        "Tell us what is happening, in your own words (optional)",
        "Your account",
        1000,
        hint="Only what you are comfortable sharing. Do not include anyone’s name.",
    )
    recent = Choice(
        "When did it happen? (optional)",
        (*choices.RECENCY, PREFER_NOT),
        message="Select when it happened, or ‘Prefer not to say’",
    )
    reported = Choice(
        "Have you already reported it? (optional)",
        (*choices.REPORTED, PREFER_NOT),
        message="Select whether you have already reported it",
    )


class AccessNeedsForm(QuestionForm):
    access_needs = long_text(
        "Do you need any help to use the service? (optional)",
        "Your answer",
        300,
        hint="For example, large print, British Sign Language, or someone to translate.",
    )


class ConfidentialityForm(QuestionForm):
    consent = BooleanField(
        "I understand what happens to my referral and when confidentiality may be broken",
        validators=[
            InputRequired(
                message="Confirm you understand how your referral will be kept confidential"
            )
        ],
        widget=GovCheckboxInput(),
    )


class EqualityForm(QuestionForm):
    age_group = Choice(
        "How old are you?", (*choices.AGE_GROUPS, PREFER_NOT), message="Select your age group"
    )
    sex = Choice("What is your sex?", (*choices.SEX, PREFER_NOT), message="Select your sex")
    gender_identity = Choice(
        "Is the gender you identify with the same as your sex registered at birth?",
        (*choices.YES_NO, PREFER_NOT),
        message="Select yes, no or ‘Prefer not to say’",
    )
    sexual_orientation = Choice(
        "What is your sexual orientation?",
        (*choices.SEXUAL_ORIENTATION, PREFER_NOT),
        message="Select your sexual orientation",
    )
    ethnicity = Choice(
        "What is your ethnic group?",
        (*choices.ETHNICITY, PREFER_NOT),
        message="Select your ethnic group",
    )
    religion = Choice(
        "What is your religion or belief?",
        (*choices.RELIGION, PREFER_NOT),
        message="Select your religion or belief",
    )
    disability = Choice(
        "Do you have a health condition or illness that has lasted, or will last, a year or more?",
        (*choices.DISABILITY, PREFER_NOT),
        message="Select whether you have a long-term health condition",
    )
    marital_status = Choice(
        "Are you married or in a civil partnership?",
        (*choices.MARITAL_STATUS, PREFER_NOT),
        message="Select your marriage or civil partnership status",
    )
    pregnancy = Choice(
        "Are you pregnant, or have you given birth in the last 26 weeks?",
        (*choices.YES_NO, PREFER_NOT),
        message="Select yes, no or ‘Prefer not to say’",
    )


class SubmitForm(FlaskForm):
    """Check your answers: only the button, so CSRF protects the submission."""

    submit = SubmitField("Send my referral", widget=GovSubmitInput())


class ReturnForm(FlaskForm):
    # A few lines, not one: all 8 words stay in view on a 320 px phone, to check each one.
    phrase = TextAreaField(
        "Your reference phrase",
        description="The 8 words you were given when you sent your referral.",
        validators=[
            DataRequired(message="Enter your reference phrase"),
            Length(max=200, message="Your reference phrase must be 200 characters or fewer"),
            plain_text("Your reference phrase"),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        widget=GovTextArea(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class MessageForm(FlaskForm):
    body = long_text("Your message", "Your message", 2000, required="Enter your message")
    submit = SubmitField("Send message", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Yes, delete my referral", widget=GovSubmitInput())
