"""The casework forms. Questions a referrer answers online are reused from the intake forms,
so a phone or email referral is recorded with the same fields, choices and checks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovDateInput, GovSubmitInput
from wtforms import BooleanField, DateField, Field, SubmitField
from wtforms.validators import InputRequired, ValidationError

from app import workflow
from app.questionnaire import forms
from app.questionnaire.forms import Choice, long_text
from app.workflow import CLOSURE_REASONS, EVENTS

PROGRESS_EVENTS = tuple((name, EVENTS[name].happened) for name in workflow.PROGRESS_EVENTS)
MANUAL_SOURCES = (("phone", "By phone"), ("email", "By email"))


class DayField(DateField):
    """A GOV.UK date input (day, month, year) that refuses impossible dates in plain words."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(
            label,
            format="%d %m %Y",
            validators=[InputRequired(message="Enter the date")],
            widget=GovDateInput(),
            **kwargs,
        )

    def process_formdata(self, valuelist: list[Any]) -> None:
        parts = [str(value).strip() for value in valuelist]
        if len(parts) != 3:  # a hand-made post: the widget can only show day, month, year
            self.raw_data = [*parts, "", "", ""][:3]
        if not any(parts):
            self.data = None  # InputRequired says "Enter the date"
            return
        if len(parts) == 3 and not (parts[2].isdigit() and len(parts[2]) == 4):
            self.data = None
            raise ValueError("The year must include 4 numbers")
        try:
            self.data = datetime.strptime(" ".join(parts), "%d %m %Y").date()
        except ValueError:
            self.data = None
            raise ValueError("The date must be a real date, like 27 3 2024") from None


class DatedForm(FlaskForm):
    """A form with a date that must fall between the day received and today."""

    on: DayField
    earliest: date | None = None
    latest: date | None = None

    def limit_dates(self, earliest: date | None, latest: date) -> None:
        self.earliest, self.latest = earliest, latest

    def day(self) -> date:
        """The date entered; only after `validate_on_submit()`, whose InputRequired holds."""
        if self.on.data is None:
            raise RuntimeError(f"{type(self).__name__}.day() read before the form validated")
        return self.on.data

    def validate_on(self, field: Field) -> None:
        if field.data is None:
            return  # not a real date: already said so
        if self.latest and field.data > self.latest:
            raise ValidationError("The date must be today or in the past")
        if self.earliest and field.data < self.earliest:
            raise ValidationError(
                "The date must be on or after the day the referral was received, "
                + self.earliest.strftime("%-d %B %Y")
            )


class ProgressForm(DatedForm):
    event = Choice(
        "What happened?", PROGRESS_EVENTS, message="Select what happened", required=True
    )
    on = DayField("When did it happen?", description="For example, 27 3 2024")
    submit = SubmitField("Save", widget=GovSubmitInput())


class CloseForm(DatedForm):
    reason = Choice(
        "Why is the case closing?",
        tuple(CLOSURE_REASONS.items()),
        message="Select why the case is closing",
        required=True,
    )
    on = DayField("When did it close?", description="For example, 27 3 2024")
    submit = SubmitField("Close the case", widget=GovSubmitInput())


class AssignForm(FlaskForm):
    # The choices depend on who is asking (yourself, or anyone for the manager): set per request.
    advisor = Choice("Who should have this case?", (), message="Select who should have the case",
                     required=True)
    submit = SubmitField("Assign", widget=GovSubmitInput())


class NoteForm(FlaskForm):
    body = long_text("Case note", "Your note", 5000, required="Enter your note")
    submit = SubmitField("Save note", widget=GovSubmitInput())


class ReplyForm(FlaskForm):
    # Intake's own message form takes 2,000 characters: replies match it.
    body = long_text("Your reply", "Your reply", 2000, required="Enter your reply")
    submit = SubmitField("Send reply", widget=GovSubmitInput())


class ManualCaseForm(DatedForm):
    """A referral that came by phone or email, asked with the online form's own questions."""

    source = Choice(
        "How did the referral arrive?", MANUAL_SOURCES,
        message="Select how the referral arrived", required=True,
    )
    on = DayField("When was it received?", description="For example, 27 3 2024")
    service = forms.ServiceForm.service
    name = forms.ContactForm.name
    phone = forms.ContactDetailsForm.phone
    email = forms.ContactDetailsForm.email
    safe_to_call = forms.ContactDetailsForm.safe_to_call
    safe_times = forms.ContactDetailsForm.safe_times
    voicemail = forms.ContactDetailsForm.voicemail
    safe_to_text = forms.ContactDetailsForm.safe_to_text
    someone_else_answers = forms.ContactDetailsForm.someone_else_answers
    role_group = forms.RoleForm.role_group
    police_connected = forms.ConnectionForm.police_connected
    account = forms.WhatHappenedForm.account
    recent = forms.WhatHappenedForm.recent
    reported = forms.WhatHappenedForm.reported
    urgency = forms.ServiceForm.urgency
    access_needs = forms.AccessNeedsForm.access_needs
    # Online, consent is a required tick; by phone or email the advisor records whether the
    # person was told, so the same words, but optional.
    consent = BooleanField(forms.ConfidentialityForm.consent.args[0], widget=GovCheckboxInput())
    age_group = forms.EqualityForm.age_group
    sex = forms.EqualityForm.sex
    gender_identity = forms.EqualityForm.gender_identity
    sexual_orientation = forms.EqualityForm.sexual_orientation
    ethnicity = forms.EqualityForm.ethnicity
    religion = forms.EqualityForm.religion
    disability = forms.EqualityForm.disability
    marital_status = forms.EqualityForm.marital_status
    pregnancy = forms.EqualityForm.pregnancy
    submit = SubmitField("Add the case", widget=GovSubmitInput())

    def answers(self) -> dict[str, str]:
        """The answers as the intake stores them: plain strings, lists joined, ticks as 'yes'."""
        answers = {}
        for field in self:
            if field.name in ("source", "on", "submit", "csrf_token"):
                continue
            value = field.data
            if isinstance(value, list):
                value = ",".join(value)
            elif isinstance(value, bool):
                value = "yes" if value else ""
            answers[field.name] = value or ""
        # The online form asks this; a person who gave a number or address wants to be contacted.
        answers["contact_method"] = "details" if answers["phone"] or answers["email"] else ""
        return answers
