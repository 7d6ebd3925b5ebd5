"""Bar charts as inline SVG that the page's CSP allows, readable at 320 px and on a desktop.

Drawn here rather than by a charting library: pygal (used before) lays its axis out for a
fixed drawing width and scales its text with the picture, so in a 320 px column the axis
numbers ran together at a few pixels high; and no library we could use draws a target line
across horizontal bars without script. A horizontal bar chart is a few rectangles.

The layout never lets text collide: each row is a label line (the label wrapped to the room
the figure leaves) with the figure right-aligned on the same line, then the bar below it;
a target line's label sits in its own band above the rows. There is no numeric axis: every
bar's figure is printed. The drawing is 320 units wide, so at a phone's width text is drawn
at about its CSS size; the stylesheet caps how wide a chart grows on a desktop.

No <style>, no style attribute, no script: colours and fonts come from the site's stylesheet
by class (app-chart in assets/scss), so the chart needs nothing from the CSP. Each chart is
role="img" with an accessible name that says what it shows and where its figures are; the
data table is always next to it (the templates do that), and that table is the accessible
equivalent. Every word and number goes in through ElementTree, which escapes it.
"""

from __future__ import annotations

import base64
import hashlib
import math
import textwrap
import xml.etree.ElementTree as ET  # nosec B405 # we only serialise our own tree, never parse
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Response, g
from markupsafe import Markup

from app.web.headers import CONTENT_SECURITY_POLICY

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
WIDTH = 320
FONT = 14  # user units; the stylesheet sets the same size on .app-chart text
CHAR = 0.6 * FONT  # a generous width per character (Arial averages about 0.5 em)
LINE = 18
BAR = 18
ROW_GAP = 10
TOP_BAND = 24  # room for a target line's label


@dataclass(frozen=True)
class Chart:
    svg: Markup
    styles: tuple[str, ...] = ()  # <style> texts for the CSP; these charts have none


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: withheld ([c]), drawn without a bar
    shown: str  # the figure as printed, e.g. "45", "[c]", "80%"
    mark: float | None = None  # a per-row reference (funded capacity), drawn as a tick
    extends_to: float | None = None  # a lighter bar beyond the value (a projection)


@dataclass(frozen=True)
class Target:
    value: float
    label: str  # e.g. "Target 90%"


def _text_width(text: str) -> float:
    return len(text) * CHAR


def _nice_ceiling(value: float) -> float:
    """The scale's end: the next 1, 2 or 5 times a power of ten, so bars fill most of it."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def horizontal_bars(
    chart_id: str,
    name: str,
    bars: Sequence[Bar],
    *,
    target: Target | None = None,
    key: Sequence[tuple[str, str]] = (),
) -> Chart:
    """A row per bar, in the order given. `key` is (class suffix, words) for a small legend."""
    highest = max(
        [b.value or 0 for b in bars]
        + [b.mark or 0 for b in bars]
        + [b.extends_to or 0 for b in bars]
        + [target.value if target else 0]
    )
    scale = (WIDTH - 2) / _nice_ceiling(highest)
    root = ET.Element("svg", {"xmlns": SVG_NAMESPACE, "id": f"chart-{chart_id}"})
    y = 0.0
    for suffix, words in key:
        _legend(root, suffix, words, y)
        y += LINE + 4
    top = y
    if target is not None:
        y += TOP_BAND
    for bar in bars:
        room = WIDTH - _text_width(bar.shown) - 2 * CHAR
        lines = textwrap.wrap(bar.label, max(8, int(room // CHAR))) or [""]
        for number, line in enumerate(lines):
            _text(root, "app-chart__label", line, 0, y + LINE * (number + 1) - 4)
        _text(root, "app-chart__value", bar.shown, WIDTH, y + LINE - 4, anchor="end")
        y += LINE * len(lines) + 2
        if bar.extends_to is not None and bar.extends_to > (bar.value or 0):
            _rect(root, "app-chart__bar app-chart__bar--projected", 0, y,
                  bar.extends_to * scale, BAR)
        if bar.value:
            _rect(root, "app-chart__bar", 0, y, bar.value * scale, BAR)
        if bar.mark is not None:
            x = min(bar.mark * scale, WIDTH - 2)
            _line(root, "app-chart__mark", x, y - 4, x, y + BAR + 4)
        if target is not None:
            # Across the bars only, never through a label or a figure.
            x = min(target.value * scale, WIDTH - 2)
            _line(root, "app-chart__target", x, y - 4, x, y + BAR + 4)
        y += BAR + ROW_GAP
    if target is not None:
        x = min(target.value * scale, WIDTH - 2)
        # The label runs away from the nearer edge, so it never leaves the drawing.
        anchor = "end" if x > WIDTH / 2 else "start"
        _text(root, "app-chart__target-label", target.label, x, top + FONT, anchor=anchor)
    height = math.ceil(y)
    root.set("viewBox", f"0 0 {WIDTH} {height}")
    root.set("role", "img")
    root.set("aria-label", f"Bar chart: {name}. The figures are in the table next to it.")
    root.set("focusable", "false")
    root.set("class", "app-chart")
    svg = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    # Safe: our own elements, with every word and figure escaped by ElementTree.
    return Chart(Markup(svg))  # noqa: S704  # nosec B704 # escaped by ElementTree


def bar_chart(chart_id: str, name: str, labels: list[str], values: list[float | None]) -> Chart:
    """A horizontal bar per category, in the table's order; a withheld figure has no bar."""
    return horizontal_bars(
        chart_id,
        name,
        [Bar(label, value, _figure(value)) for label, value in zip(labels, values, strict=True)],
    )


def _figure(value: float | None) -> str:
    if value is None:
        return "[c]"
    return str(int(value)) if float(value).is_integer() else str(value)


def _text(root: ET.Element, cls: str, words: str, x: float, y: float, anchor: str = "") -> None:
    element = ET.SubElement(root, "text", {"class": cls, "x": f"{x:g}", "y": f"{y:g}"})
    if anchor:
        element.set("text-anchor", anchor)
    element.text = words


def _rect(root: ET.Element, cls: str, x: float, y: float, width: float, height: float) -> None:
    ET.SubElement(root, "rect", {
        "class": cls, "x": f"{x:g}", "y": f"{y:g}",
        "width": f"{max(width, 1):.1f}", "height": f"{height:g}",
    })


def _line(root: ET.Element, cls: str, x1: float, y1: float, x2: float, y2: float) -> None:
    ET.SubElement(root, "line", {
        "class": cls, "x1": f"{x1:.1f}", "y1": f"{y1:g}", "x2": f"{x2:.1f}", "y2": f"{y2:g}",
    })


def _legend(root: ET.Element, suffix: str, words: str, y: float) -> None:
    if suffix in ("mark", "target"):
        _line(root, f"app-chart__{suffix}", 7, y + 2, 7, y + LINE - 2)
    else:
        _rect(root, f"app-chart__bar app-chart__bar--{suffix}", 0, y + 3, 14, LINE - 6)
    _text(root, "app-chart__key", words, 22, y + LINE - 4)


def use_styles(charts: list[Chart]) -> None:
    """Allow these charts' styles in this response (read by content_security_policy)."""
    g.chart_styles = [*g.get("chart_styles", []), *(s for c in charts for s in c.styles)]


def style_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(response: Response) -> Response:
    """after_request for the standards blueprint: the CSP, plus this response's chart styles
    (none, now that charts take their look from the stylesheet: the policy stays plain)."""
    policy = dict(CONTENT_SECURITY_POLICY)
    hashes = sorted({style_hash(text) for text in g.get("chart_styles", [])})
    if hashes:
        policy["style-src"] = " ".join([policy["style-src"], *hashes])
    response.headers["Content-Security-Policy"] = "; ".join(f"{k} {v}" for k, v in policy.items())
    return response
