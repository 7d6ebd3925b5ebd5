"""Every table DPS can see: its name, kind, caption and fixed categories (G6, DESIGN 7).

Category codes are the stored values of the intake form and the delivery API; their words
come from app/questionnaire/choices.py wherever it has them, so no label is written twice. A table's
categories are fixed, so its shape never shows which answers occurred.

Two kinds of table: "counts" (a one-way table, a count per category and a total, protected
by app.disclosure) and "measures" (named figures: percentages, medians and figures derived
only from released counts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from app.questionnaire import choices
from app.questionnaire.forms import PREFER_NOT
from app.workflow import CLOSURE_REASONS

Kind = Literal["counts", "measures"]
NOT_ANSWERED = "not_answered"
WITHDRAWN_BY_REFERRER = "withdrawn_by_referrer"  # set by app.intake.referrals.withdraw
ROUTES = ("online", "phone", "email")  # how a case reached the provider (console sources)


def _words(code: str) -> str:
    """Words for a code that no list in choices.py labels: 'no_contact_possible' -> ..."""
    return code.replace("_", " ").capitalize()


def _coded(codes: Iterable[str]) -> dict[str, str]:
    return {code: _words(code) for code in codes}


def _answers(options: tuple[tuple[str, str], ...]) -> dict[str, str]:
    # Every option, "prefer not to say", and a question left blank (or never asked by phone).
    return {**dict(options), PREFER_NOT[0]: PREFER_NOT[1], NOT_ANSWERED: _words(NOT_ANSWERED)}


@dataclass(frozen=True)
class TableSpec:
    name: str
    kind: Kind
    caption: str
    categories: dict[str, str]  # code -> words, in display order
    unit: str = "referrals"


INTAKE_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("received", "counts", "Referrals received, by service", dict(choices.SERVICES)),
        TableSpec(
            "service_levels",
            "measures",
            "Service levels (working days, England and Wales)",
            {
                "acknowledged_within_target": "Acknowledged within 1 working day (%)",
                "first_contact_within_target": (
                    "First contact attempted within target (%): 2 working days, 1 if urgent"
                ),
                "median_days_to_first_contact": "Median working days to first contact attempt",
            },
            unit="figures",
        ),
        TableSpec("caseload", "counts", "Open caseload at the end of the period", {"open": "Open"}),
        TableSpec(
            "closures",
            "counts",
            "Referrals closed in the period, by outcome",
            _coded((*CLOSURE_REASONS, WITHDRAWN_BY_REFERRER)),
        ),
        TableSpec(
            "demand",
            "measures",
            "Demand against funded capacity (financial year)",
            {
                "funded_capacity": "Funded capacity (referrals in the year)",
                "quarters_completed": "Quarters of the year completed",
                "received_to_date": "Referrals received in completed quarters",
                "percent_of_capacity": "Received as a % of funded capacity",
                "projected_year_total": "Projected referrals for the whole year",
                "projection_low": "Projection: lower end of 90% range",
                "projection_high": "Projection: upper end of 90% range",
                "projected_percent_of_capacity": "Projected % of funded capacity",
            },
            unit="figures",
        ),
    )
}

EQUALITY_QUESTIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "age_group": ("Age group", choices.AGE_GROUPS),
    "sex": ("Sex", choices.SEX),
    "gender_identity": ("Gender identity the same as sex registered at birth", choices.YES_NO),
    "sexual_orientation": ("Sexual orientation", choices.SEXUAL_ORIENTATION),
    "ethnicity": ("Ethnic group", choices.ETHNICITY),
    "religion": ("Religion or belief", choices.RELIGION),
    "disability": ("Long-term health condition or illness", choices.DISABILITY),
    "marital_status": ("Marriage or civil partnership status", choices.MARITAL_STATUS),
    "pregnancy": ("Pregnant or given birth in the last 26 weeks", choices.YES_NO),
}

PROVIDER_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "police_connected",
            "counts",
            "Is the person harming them connected to the police?",
            _answers(choices.CONNECTION),
        ),
        TableSpec("role_group", "counts", "Role group", _answers(choices.ROLE_GROUPS)),
        TableSpec("other_routes", "counts", "How the referral reached the service", _coded(ROUTES)),
        TableSpec(
            "outcomes", "counts", "Outcome of cases closed in the period", _coded(CLOSURE_REASONS)
        ),
        *(
            TableSpec(f"equality.{question}", "counts", caption, _answers(options))
            for question, (caption, options) in EQUALITY_QUESTIONS.items()
        ),
    )
}

# Provider tables that count the same people (cases received in the period), so one table's
# released total is every other's too; "outcomes" counts cases closed in the period instead.
SAME_POPULATION = tuple(name for name in PROVIDER_TABLES if name != "outcomes")


def spec_for(source: str, table_name: str) -> TableSpec | None:
    tables = INTAKE_TABLES if source == "intake" else PROVIDER_TABLES
    return tables.get(table_name)
