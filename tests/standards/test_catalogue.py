"""The tables a provider return may hold are the same on both sides: what the console counts
(app.console.statistical_return) is what intake accepts (app.return_contract)."""

from __future__ import annotations

from app.console.statistical_return import CATEGORIES
from app.questionnaire import choices
from app.return_contract import INTAKE_TABLES, PROVIDER_TABLES


def test_the_console_returns_exactly_the_tables_and_categories_intake_accepts():
    assert list(CATEGORIES) == list(PROVIDER_TABLES)
    for name, categories in CATEGORIES.items():
        assert list(categories) == list(PROVIDER_TABLES[name].categories), name


def test_answer_labels_come_from_the_intake_forms_own_lists():
    assert PROVIDER_TABLES["equality.ethnicity"].categories["white_irish"] == dict(
        choices.ETHNICITY
    )["white_irish"]
    assert INTAKE_TABLES["received"].categories == dict(choices.SERVICES)


def test_every_equality_question_of_the_form_has_its_own_one_way_table():
    equality = {name.removeprefix("equality.") for name in PROVIDER_TABLES if "." in name}
    assert equality == {
        "age_group", "sex", "gender_identity", "sexual_orientation", "ethnicity", "religion",
        "disability", "marital_status", "pregnancy",
    }
