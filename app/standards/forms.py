"""Standards forms (GOV.UK widgets). Every POST form carries a CSRF token via FlaskForm."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, ValidationError

from app.standards.analysts import MAX_PASSWORD, password_problem


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
        filters=[_strip],
        widget=GovTextInput(),
    )
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
        filters=[_strip],
        widget=GovTextInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChoosePasswordForm(FlaskForm):
    password = PasswordField(
        "Create a password",
        description="At least 12 characters. A few random words you can remember work well.",
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


class PeriodForm(FlaskForm):
    """Choosing a period only reads, so it is a GET form without a token."""

    class Meta:
        csrf = False

    period = SelectField("Period", widget=GovSelect(), validate_choice=True)
    submit = SubmitField("Show", widget=GovSubmitInput())


class ExportForm(FlaskForm):
    """Downloading is logged (who, which period, which day), so it is a POST with a token."""

    csv = SubmitField("Download CSV", widget=GovSubmitInput())
    json = SubmitField("Download JSON", widget=GovSubmitInput())
