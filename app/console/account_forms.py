"""The manager's team forms (GOV.UK widgets). Sign-in and setup forms are app.accounts.forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from app.accounts.forms import email_field, plain_text, strip
from app.console.accounts import ROLES


class InviteForm(FlaskForm):
    name = StringField(
        "Full name",
        validators=[
            InputRequired(message="Enter the person’s name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
            plain_text,
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    email = email_field("Work email address")
    role = RadioField(
        "Role",
        choices=[SelectChoice(role, role.title()) for role in ROLES],
        default="advisor",
        validators=[InputRequired(message="Choose a role")],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Create setup link", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """A button that changes something: the form exists for its CSRF token."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())
