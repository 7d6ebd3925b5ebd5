"""Bar charts as inline SVG that the page's CSP allows, and that a screen reader can read.

pygal draws server-side. Its SVG carries a <script> (its configuration, for interactive
tooltips), comments, a hidden tooltip group with a style attribute, and <style> elements.
The CSP forbids inline script and inline style and has no keyword that would allow them, so:
- every <script>, comment and tooltip group is removed (there is no JavaScript to use them);
- a style attribute left anywhere is an error, never emitted (it would need 'unsafe-hashes');
- each <style> element's exact text is hashed, and the hashes go into this response's own
  style-src (content_security_policy below), so only these styles are allowed, only here.
pygal is given no JavaScript and no external CSS, and the result is checked for any URL
other than the SVG namespace, so a chart never makes a request to another host.

Accessibility: each chart is role="img" with an accessible name that says what it shows and
where its figures are; the data table is always next to it (the templates do that), and
that table is the accessible equivalent. The same choice on every chart.
"""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET  # nosec B405 # we only serialise our own tree, never parse
from dataclasses import dataclass

import pygal
from flask import Response, g
from markupsafe import Markup
from pygal.style import Style

from app.web.headers import CONTENT_SECURITY_POLICY

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#0b0c0c",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    colors=("#1d70b8",),
    font_family="arial, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=14,
    value_colors=("#0b0c0c",),
    transition="0s",
)
_URL = re.compile(r"(?:https?:)?//[^\s\"')]+")


@dataclass(frozen=True)
class Chart:
    svg: Markup
    styles: tuple[str, ...]  # the exact text of each <style> element, for the CSP


def bar_chart(chart_id: str, name: str, labels: list[str], values: list[float | None]) -> Chart:
    """A horizontal bar per category; a withheld figure ([c]) has no bar."""
    chart = pygal.HorizontalBar(
        style=CHART_STYLE,
        js=[],
        css=["file://style.css", "file://graph.css"],  # pygal's own files, inlined
        disable_xml_declaration=True,
        show_legend=False,
        print_values=True,
        print_zeroes=True,
        explicit_size=False,  # viewBox only: the chart scales with its column
        width=640,
        height=80 + 40 * len(labels),
        truncate_label=24,
        margin=16,
    )
    chart.uuid = chart_id  # a stable id: the same release always draws the same chart
    chart.x_labels = list(reversed(labels))  # pygal draws bottom-up; keep the table's order
    chart.add(name, list(reversed(values)))
    return _clean(chart.render_tree(), name)


def _clean(root: ET.Element, name: str) -> Chart:
    for parent in list(root.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or _tag(child) == "script" or _is_tooltip(child):
                parent.remove(child)  # comments, scripts, and tooltips no script will show
    for element in root.iter():
        if "style" in element.attrib:
            raise ValueError("pygal emitted a style attribute, which the CSP would block")
    root.set("role", "img")
    root.set("aria-label", f"Bar chart: {name}. The figures are in the table next to it.")
    root.set("focusable", "false")
    root.set("class", "app-chart")
    styles = tuple(el.text or "" for el in root.iter() if _tag(el) == "style")
    ET.register_namespace("", SVG_NAMESPACE)
    svg = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    if any(url != SVG_NAMESPACE for url in (_full(m) for m in _URL.finditer(svg))):
        raise ValueError("a chart must not refer to any other host")
    # Safe: pygal's drawing of released numbers and our own labels, escaped by ElementTree.
    return Chart(Markup(svg), styles)  # noqa: S704  # nosec B704 # escaped by ElementTree


def _full(match: re.Match[str]) -> str:
    url = match.group(0)
    return url if url.startswith("http") else "http:" + url


def _tag(element: ET.Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def _is_tooltip(element: ET.Element) -> bool:
    return "tooltip" in element.get("class", "").split() or "tooltip-overlay" in element.get(
        "class", ""
    )


def use_styles(charts: list[Chart]) -> None:
    """Allow these charts' styles in this response (read by content_security_policy)."""
    g.chart_styles = [*g.get("chart_styles", []), *(s for c in charts for s in c.styles)]


def style_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(response: Response) -> Response:
    """after_request for the standards blueprint: the CSP, plus this response's chart styles.

    Talisman sets the app-wide CSP after this runs, so chart views opt out of Talisman's
    (dashboard_views) and this header is the one the browser gets; for other views
    Talisman's identical policy replaces it.
    """
    policy = dict(CONTENT_SECURITY_POLICY)
    hashes = sorted({style_hash(text) for text in g.get("chart_styles", [])})
    if hashes:
        policy["style-src"] = " ".join([policy["style-src"], *hashes])
    response.headers["Content-Security-Policy"] = "; ".join(f"{k} {v}" for k, v in policy.items())
    return response
