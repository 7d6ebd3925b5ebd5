"""Forms for signing in and setting up an account (GOV.UK widgets), for every surface.

The password rule itself is `passwords.password_problem`, which the setup form and the flow
both call: one rule, one place.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Regexp, ValidationError

from app.accounts.passwords import MAX_PASSWORD, MIN_PASSWORD, password_problem

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def plain_text(form: FlaskForm, field: StringField) -> None:
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(
            f"{field.label.text} must only include letters, numbers and punctuation"
        )


def email_field(label: str, check_format: bool = True) -> StringField:
    # The address is an account name only (no mail is sent to it), so a shape check is
    # enough; email-validator would refuse internal domains such as .local or .test.
    shape = Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        message="Enter an email address in the correct format, like name@example.com",
    )
    return StringField(
        label,
        validators=[
            InputRequired(message="Enter an email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            *([shape] if check_format else []),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )


class SignInForm(FlaskForm):
    email = email_field("Email address", check_format=False)
    password = PasswordField(
        "Password",
        validators=[
            InputRequired(message="Enter your password"),
            Length(
                max=MAX_PASSWORD, message=f"Password must be {MAX_PASSWORD} characters or fewer"
            ),
        ],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        "Security code",
        description="The 6-digit code shown in your authenticator app",
        validators=[
            InputRequired(message="Enter the 6-digit code from your authenticator app"),
            Length(max=20, message="Enter the 6-digit code from your authenticator app"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChoosePasswordForm(FlaskForm):
    """Setup step 1; `email` is the account's, so the password can be checked against it."""

    password = PasswordField(
        "Create a password",
        description=(
            f"At least {MIN_PASSWORD} characters. A few random words you can remember work well."
        ),
        validators=[InputRequired(message="Enter a password")],
        widget=GovPasswordInput(),
    )
    confirm = PasswordField(
        "Confirm your password",
        validators=[InputRequired(message="Enter your password again")],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def __init__(self, email: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.account_email = email

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", self.account_email)
        if problem:
            raise ValidationError(problem)

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError("The passwords do not match")
