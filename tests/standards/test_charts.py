"""Charts laid out so no text meets other text, at any width (issue 10, item 9).

The drawing is measured with a deliberately generous width per character (0.6 em; Arial
averages about 0.5 em), so if these boxes do not meet, the browser's narrower ones cannot.
The browser test measures the real boxes in Chromium as well.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # nosec B405 # parsing our own output

import pytest

from app.standards.charts import CHAR, FONT, WIDTH, Bar, Target, bar_chart, horizontal_bars

LONG = "Is the person harming them connected to the police? A very long category name indeed"


def boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    root = ET.fromstring(svg)  # nosec B314 # our own output
    found = []
    for text in root.iter("{http://www.w3.org/2000/svg}text"):
        words, x, y = text.text or "", float(text.get("x")), float(text.get("y"))
        width = len(words) * CHAR
        left = x - width if text.get("text-anchor") == "end" else x
        found.append((words, left, y - FONT, left + width, y + 0.25 * FONT))
    return found


def overlapping(svg: str) -> list[tuple[str, str]]:
    found = boxes(svg)
    return [
        (a[0], b[0])
        for i, a in enumerate(found)
        for b in found[i + 1:]
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


@pytest.mark.parametrize("target", [None, Target(90, "Target 90%"), Target(5, "Target 5 days")])
def test_no_chart_text_meets_other_text_or_leaves_the_drawing(target):
    bars = [Bar(LONG, 1234, "1234", mark=1500, extends_to=1800), Bar("ISVA", None, "[c]"),
            Bar("2026-27 (projected after Q2)", 95, "95%"), Bar("x", 0, "0")]
    svg = str(horizontal_bars("t", "Test", bars, target=target,
                              key=[("received", "Referrals received"), ("mark", "Capacity")]).svg)
    assert overlapping(svg) == []
    for words, left, _top, right, _bottom in boxes(svg):
        assert left >= 0 and right <= WIDTH, words


def test_the_released_tables_charts_print_every_figure_and_draw_no_bar_for_a_withheld_one():
    svg = str(bar_chart("r", "Received", ["IDVA", "ISVA", "Not sure"], [35, None, 10]).svg)
    assert [b[0] for b in boxes(svg)] == ["IDVA", "35", "ISVA", "[c]", "Not sure", "10"]
    assert len(re.findall(r"<rect ", svg)) == 2
    assert "style" not in svg and "<script" not in svg
