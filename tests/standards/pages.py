"""Reading standards pages the way a test needs them: tables by caption, charts, styles."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S)


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, str]]] = {}
        self.caption: str | None = None
        self.cell: list[str] | None = None
        self.row: list[str] = []
        self.in_head = False
        self.hidden = 0  # inside visually hidden text: for screen readers, not "as shown"

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.hidden or (
            tag == "span" and "govuk-visually-hidden" in (dict(attrs).get("class") or "")
        ):
            self.hidden += tag == "span"
            return
        if tag == "caption":
            self.cell = []
        elif tag == "thead":
            self.in_head = True
        elif tag in ("th", "td"):
            self.cell = []
        elif tag == "tr":
            self.row = []

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            self.hidden -= tag == "span"
            return
        if tag == "caption" and self.cell is not None:
            self.caption = " ".join("".join(self.cell).split())
            self.tables[self.caption] = []
            self.cell = None
        elif tag == "thead":
            self.in_head = False
        elif tag in ("th", "td") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and not self.in_head and self.caption and len(self.row) == 2:
            self.tables[self.caption].append((self.row[0], self.row[1]))

    def handle_data(self, data: str) -> None:
        if self.cell is not None and not self.hidden:
            self.cell.append(data)


def tables_on(page: str) -> dict[str, list[tuple[str, str]]]:
    """{caption: [(row words, figure as shown), ...]} for every table on the page."""
    parser = _Tables()
    parser.feed(SVG.sub("", page))
    return parser.tables


def styles_on(page: str) -> list[str]:
    """Each <style> element's text as the browser's DOM holds it (entities decoded)."""
    return [html.unescape(text) for text in STYLE.findall(page)]


def charts_on(page: str) -> list[str]:
    return SVG.findall(page)


def csrf(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


class _WideTables(_Tables):
    """Every body row of every table, however many cells."""

    def __init__(self) -> None:
        super().__init__()
        self.wide: dict[str, list[list[str]]] = {}

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and not self.in_head and self.caption:
            self.wide.setdefault(self.caption, []).append(list(self.row))
        super().handle_endtag(tag)


def rows_on(page: str) -> dict[str, list[list[str]]]:
    """{caption: [[cell, cell, ...], ...]} for every table on the page, charts left out."""
    parser = _WideTables()
    parser.feed(SVG.sub("", page))
    return parser.wide
