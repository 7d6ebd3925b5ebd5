"""Standards forms (GOV.UK widgets). Every POST form carries a CSRF token via FlaskForm.

Sign-in and setup forms are app.accounts.forms, shared with the console."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect,
    GovSubmitInput,
)
from wtforms import SelectField, SubmitField

__all__ = ["ExportForm", "PeriodForm"]


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
