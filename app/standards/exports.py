"""CSV and JSON exports of exactly the released tables of a period, and their record.

Both are made from dashboard.shown_tables, so they hold the dashboard's figures and nothing
else: a withheld figure is "[c]" in CSV and null in JSON. CSV cells that a spreadsheet could
take for a formula (starting =, +, -, @, tab or carriage return) get a leading apostrophe.
Every export is recorded (analyst, period, format, day: no time of day, G4) for the release
log.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from app.extensions import intake_db as db
from app.models.standards import Analyst, Export
from app.standards.dashboard import ShownTable, shown_tables

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ["period", "source", "provider", "table", "caption", "code", "category", "figure"]


def safe_cell(value: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_text(period: str, tables: list[ShownTable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for table in tables:
        for row in [*table.rows, *([table.total] if table.total else [])]:
            cells = [
                period,
                table.source,
                table.provider,
                table.spec.name,
                table.spec.caption,
                row.code,
                row.words,
                row.shown,
            ]
            writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


def json_data(period: str, tables: list[ShownTable]) -> dict[str, Any]:
    return {
        "period": period,
        "withheld": "null marks a figure withheld under the disclosure rules ([c])",
        "tables": [
            {
                "source": table.source,
                "provider": table.provider,
                "table": table.spec.name,
                "caption": table.spec.caption,
                "kind": table.spec.kind,
                "released_on": table.released_on.isoformat(),
                "rows": {row.code: row.figure for row in table.rows},
                **({"total": table.total.figure} if table.total else {}),
            }
            for table in tables
        ],
    }


def export(analyst: Analyst, period: str, file_format: str) -> tuple[str, str]:
    """(file text, media type), recorded before it is handed over."""
    tables = shown_tables(period)
    if file_format == "csv":
        text, media = csv_text(period, tables), "text/csv; charset=utf-8"
    else:
        text = json.dumps(json_data(period, tables), indent=2, ensure_ascii=False)
        media = "application/json"
    db.session.add(Export(analyst_id=analyst.id, period=period, file_format=file_format))
    db.session.commit()
    return text, media
