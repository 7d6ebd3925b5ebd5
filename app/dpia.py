"""The DPIA as code: the data inventory in `dpia/inventory.yaml`, read into rows.

The inventory lists every stored item of both deployments (tests/dpia/test_inventory.py
checks it against the models, the sealed fields, the cookies, the log format and the
rate-limit store). Each group gives what its items share (where, readers, lawful basis,
retention); an item may override any of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no types

DPIA_DIR = Path(__file__).resolve().parent.parent / "dpia"
INVENTORY = DPIA_DIR / "inventory.yaml"
KINDS = ("column", "sealed field", "log field", "cookie", "redis key")
FIELDS = ("where", "form", "readers", "purpose", "lawful_basis", "retention")


@dataclass(frozen=True)
class Item:
    """One stored item: `name` is how the inventory test finds it (table.column, a sealed
    record's kind.field, a cookie's name, a log field, a Redis key shape)."""

    kind: str
    controller: str
    group: str
    name: str
    where: str
    form: str
    readers: str
    purpose: str
    lawful_basis: str
    retention: str


class InventoryError(ValueError):
    """The inventory file is malformed (a missing field, an unknown kind)."""


def load(path: Path = INVENTORY) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def items(data: dict[str, Any] | None = None) -> list[Item]:
    """Every item, each with its group's values filled in."""
    data = load() if data is None else data
    bases: dict[str, str] = data.get("lawful_bases", {})
    rows: list[Item] = []
    for group in data["groups"]:
        if group.get("kind") not in KINDS:
            raise InventoryError(f"group {group.get('title')!r}: kind must be one of {KINDS}")
        prefix = f"{group['table']}." if group["kind"] == "column" else ""
        for name, own in group["items"].items():
            values = {field: (own or {}).get(field, group.get(field)) for field in FIELDS}
            missing = [field for field, value in values.items() if not value]
            if missing:
                raise InventoryError(f"{prefix}{name}: no {', '.join(missing)}")
            values["lawful_basis"] = bases.get(values["lawful_basis"], values["lawful_basis"])
            rows.append(
                Item(kind=group["kind"], controller=group["controller"], group=group["title"],
                     name=f"{prefix}{name}", **{k: str(v) for k, v in values.items()})
            )
    return rows


def names(kind: str, controller: str | None = None) -> set[str]:
    """The names the inventory lists for one kind (and one controller's deployment)."""
    return {
        item.name for item in items()
        if item.kind == kind and (controller is None or item.controller == controller)
    }


def render_html() -> str:
    """The DPIA and the inventory as one printable HTML page (no script, no outside request)."""
    from html import escape

    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(
        (DPIA_DIR / "dpia.md").read_text(encoding="utf-8"))
    head = "".join(f"<th>{escape(h)}</th>" for h in ("item", "kind", "controller", *FIELDS))
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(getattr(item, f))}</td>"
                         for f in ("name", "kind", "controller", *FIELDS)) + "</tr>"
        for item in items()
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Safe Referral: data protection impact assessment</title></head><body>"
        f"{body}<h2>Data inventory</h2><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>\n"
    )


def render_pdf(html: str) -> bytes:
    """The same page as a PDF, by fpdf2 (no browser)."""
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("helvetica", size=8)
    # The core font is Latin-1: the page's few other characters become close equivalents.
    # fpdf2 takes no inline markup inside table cells: plain text there is enough for print.
    text = re.sub(r"</?(code|strong|em)>", "", html)
    for wide, plain in (("\u2019", "'"), ("\u2013", "-"), ("\u2014", "-")):
        text = text.replace(wide, plain)
    pdf.write_html(text.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())
