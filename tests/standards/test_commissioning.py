"""The commissioning view (issue 10, item 7): the first page after sign-in answers "is demand
outgrowing funded capacity?" and "is the provider meeting its KPIs?" with figures that are
exactly the released tables, each KPI beside its configured target, and a note wherever
intake's figures and a provider's return differ."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.disclosure import Period
from app.standards.stored import content, period_order, releases
from tests.standards.pages import SVG as SVG_FREE
from tests.standards.pages import charts_on, rows_on
from tests.standards.test_about_figures import WITHHELD_LINK
from tests.standards.test_dashboard import seed

DEMAND = "Referrals received each financial year against funded capacity"


@pytest.fixture
def commissioning(standards_app: Flask, signed_in: FlaskClient) -> FlaskClient:
    seed(standards_app)
    return signed_in


def page(client: FlaskClient) -> str:
    response = client.get("/standards/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def released(app: Flask, table: str, kind: str) -> dict[str, dict]:
    with app.app_context():
        found = {r.period: content(r)["rows"] for r in releases(source="intake")
                 if r.table_name == table and Period.from_label(r.period).kind == kind}
    return dict(sorted(found.items(), key=lambda item: period_order(item[0])))


def shown(value: object, suffix: str = "") -> str:
    return "[c]" if value is None else f"{value}{suffix}"


def test_the_first_page_after_sign_in_is_the_commissioning_view(commissioning):
    text = page(commissioning)
    assert "<h1 class=\"govuk-heading-xl\">Demand and service levels</h1>" in text
    assert re.search(r"<title>Commissioning: demand and service levels – Professional "
                     r"standards statistics</title>", text)


def test_every_released_year_is_in_the_demand_table_as_released(standards_app, commissioning):
    rows = rows_on(page(commissioning))[DEMAND]  # opening it releases what is due
    years = released(standards_app, "demand", "year")
    assert years, "the seed releases at least one financial year"
    by_year = {row[0]: row for row in rows}
    for year, figures in years.items():
        assert by_year[year][1:] == [
            shown(figures["received_to_date"]),
            shown(figures["funded_capacity"]),
            shown(figures["percent_of_capacity"], "%"),
        ]


def test_the_current_year_shows_the_newest_released_quarters_projection(
    standards_app, commissioning
):
    rows = {row[0]: row for row in rows_on(page(commissioning))[DEMAND]}
    quarters = released(standards_app, "demand", "quarter")
    years = released(standards_app, "demand", "year")
    pending = [q for q in quarters if q.split()[0] not in years]
    if not pending:
        assert not any("projected" in words for words in rows)
        return
    newest = pending[-1]
    year, quarter = newest.split()
    figures = quarters[newest]
    assert rows[f"{year} (projected after {quarter})"][1] == (
        shown(figures["received_to_date"]) + " so far")
    assert rows[f"{year} projected for the whole year"][1] == (
        f"{shown(figures['projected_year_total'])} ({shown(figures['projection_low'])} to "
        f"{shown(figures['projection_high'])})")


def test_each_kpi_is_shown_for_every_released_quarter_beside_its_configured_target(
    standards_app, commissioning
):
    standards_app.config["KPI_TARGETS"] = {"acknowledged_within_target": 97,
                                           "first_contact_within_target": 85,
                                           "median_days_to_first_contact": 3}
    text = page(commissioning)
    quarters = released(standards_app, "service_levels", "quarter")
    tables = rows_on(text)
    for code, words, target, suffix in (
        ("acknowledged_within_target", "Acknowledged within 1 working day (%)", 97, "%"),
        ("first_contact_within_target",
         "First contact attempted within target (%): 2 working days, 1 if urgent", 85, "%"),
        ("median_days_to_first_contact", "Median working days to first contact attempt", 3, ""),
    ):
        rows = tables[f"{words}, each released quarter"]
        assert [row[0] for row in rows] == list(quarters)
        for row, figures in zip(rows, quarters.values(), strict=True):
            assert row[1].split(" ")[0] == shown(figures[code], suffix)
            assert row[2] == f"{target}{suffix}"
    assert "Target: 97% or more." in text and "Target: 3 working days or fewer." in text
    # The target is a line on each chart, and labelled there.
    assert "Target 97%" in text and "Target 85%" in text


def test_a_figure_below_its_target_is_said_in_words(standards_app, commissioning):
    standards_app.config["KPI_TARGETS"] = {"acknowledged_within_target": 100,
                                           "first_contact_within_target": 0,
                                           "median_days_to_first_contact": 99}
    text = page(commissioning)
    assert "Below target" in text and "Met" in text


def test_where_intake_and_a_provider_return_differ_a_table_shows_both_and_says_why_once(
    commissioning,
):
    text = page(commissioning)
    received = rows_on(text)["Referrals received"]
    # 2024-25 Q1: intake measured 51 online referrals (shown as 50); the return counts 40.
    by_period = {row[0]: row[1:3] for row in received}
    assert by_period["2024-25 Q1"] == ["50", "40"]
    section = text.split('id="differences"', 1)[1]
    assert section.count("Intake never sees those.") == 1
    assert section.count("rounded to the nearest 5 on its own") == 1


def test_every_chart_is_an_image_with_its_table_and_no_style_of_its_own(commissioning):
    text = page(commissioning)
    charts = charts_on(text)
    assert len(charts) == 4  # demand, and one per KPI
    tables = rows_on(text)
    for chart in charts:
        assert "<style" not in chart and " style=" not in chart and "<script" not in chart
        name = re.search(r'aria-label="Bar chart: ([^"]+)\. The figures', chart).group(1)
        assert name in tables


def test_before_anything_is_released_the_view_says_so(signed_in):
    text = page(signed_in)
    assert "No financial year or quarter has been released yet." in text
    assert "No quarter has been released yet." in text


def test_every_withheld_figure_on_the_commissioning_view_links_to_why(commissioning):
    text = SVG_FREE.sub("", page(commissioning))
    cells = re.findall(r'<td class="govuk-table__cell[^"]*">(.*?)</td>', text, re.S)
    withheld = [cell for cell in cells if "[c]" in cell]
    assert withheld, "the seeded history has withheld figures on this view"
    assert all(WITHHELD_LINK.search(cell) for cell in withheld)
