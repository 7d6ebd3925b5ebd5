"""Every [c] links to one explanation of why figures are withheld; percentages and medians
say how they are worked out (issues 10 and 13)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.standards.test_dashboard import dashboard, page  # noqa: F401 (the fixture)

WITHHELD_LINK = re.compile(
    r'<a class="govuk-link" href="/standards/about-the-figures#withheld">\[c\]'
    r'<span class="govuk-visually-hidden"> withheld: why figures are withheld</span></a>'
)


def test_every_withheld_figure_in_a_table_links_to_why_with_words_a_screen_reader_reads(
    dashboard: FlaskClient,  # noqa: F811
) -> None:
    text = page(dashboard, "/standards/tables?period=2024-25+Q1")
    cells = re.findall(r'<td class="govuk-table__cell[^"]*">(.*?)</td>', text, re.S)
    withheld = [c for c in cells if "[c]" in c]
    assert withheld, "the seeded quarter has withheld figures"
    assert all(WITHHELD_LINK.search(c) for c in withheld)


def test_the_explanation_covers_both_reasons_without_saying_which_applies_to_a_cell(
    dashboard: FlaskClient,  # noqa: F811
) -> None:
    text = page(dashboard, "/standards/about-the-figures")
    section = text.split('id="withheld"', 1)[1].split("<h2", 1)[0]
    assert "the count is under 10" in section
    assert "work out another withheld figure" in section
    assert "We do not say which reason applies to each [c]" in section


def test_percentages_say_they_come_from_rounded_counts_and_medians_are_whole_days(
    dashboard: FlaskClient,  # noqa: F811
) -> None:
    about = page(dashboard, "/standards/about-the-figures")
    assert "worked out from counts rounded to the nearest 5" in about
    assert "fewer than 10 referrals are in it, or fewer than 10 are outside it" in about
    assert "in whole working days" in about
    tables = page(dashboard, "/standards/tables?period=2024-25+Q1")
    note = tables.split('id="percentages-note">', 1)[1].split("</p>", 1)[0]
    assert "Percentages are worked out from counts rounded to the nearest 5" in note
    assert "Medians are in whole working days" in note


def test_the_first_contact_measure_says_how_it_counts_people_with_no_contact_details(
    dashboard: FlaskClient,  # noqa: F811
) -> None:
    about = page(dashboard, "/standards/about-the-figures")
    section = about.split('id="service-levels"', 1)[1].split("<h2", 1)[0]
    assert "For them, the advisor's first reply counts as the first contact attempt." in section
