"""What the dashboard and the exports show for a period: exactly the released tables.

One function reads the releases of a period and turns each into rows of (code, words,
figure); the page, the CSV and the JSON are all made from it, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from app.disclosure import TOTAL, Period
from app.extensions import intake_db as db
from app.models.intake import Recipient
from app.models.standards import Release
from app.return_contract import INTAKE_TABLES, PROVIDER_TABLES, TableSpec, spec_for
from app.standards.charts import Chart, bar_chart
from app.standards.stored import Measure, content, period_order, releases

Figure = int | float | None


@dataclass(frozen=True)
class Row:
    code: str
    words: str
    figure: Figure

    @property
    def shown(self) -> str:
        return figure_text(self.figure)


@dataclass(frozen=True)
class ShownTable:
    slug: str  # unique on the page: for ids and chart ids
    source: str  # "intake" or "provider"
    provider: str  # the provider's name for a return; "" for intake's own tables
    spec: TableSpec
    rows: list[Row]
    total: Row | None  # counts tables only
    released_on: date

    @property
    def charted(self) -> bool:
        # A chart of nothing but withheld figures would be an empty frame: the table says it.
        shown = any(row.figure is not None for row in self.rows)
        return self.spec.kind == "counts" and len(self.rows) > 1 and shown

    def chart(self, period: str) -> Chart:
        return bar_chart(
            f"{self.slug}",
            f"{self.spec.caption}, {period}",
            [row.words for row in self.rows],
            [row.figure for row in self.rows],
        )


def figure_text(figure: Figure) -> str:
    """'[c]' for a withheld figure; whole numbers without a decimal point."""
    if figure is None:
        return "[c]"
    if isinstance(figure, float) and figure.is_integer():
        return str(int(figure))
    return str(figure)


def provider_names() -> dict[str, str]:
    return {id_: name for id_, name in db.session.execute(select(Recipient.id, Recipient.name))}


def shown_tables(period: str) -> list[ShownTable]:
    """The period's released tables: intake's first, in catalogue order, then each return."""
    names = provider_names()
    found = [_shown(r, names) for r in releases(period=period)]
    shown = [table for table in found if table is not None]
    order = {name: i for i, name in enumerate(_catalogue_order())}
    return sorted(
        shown, key=lambda t: (t.source != "intake", t.provider, order[t.source, t.spec.name])
    )


def _catalogue_order() -> list[tuple[str, str]]:
    return [("intake", n) for n in INTAKE_TABLES] + [("provider", n) for n in PROVIDER_TABLES]


def _shown(release: Release, names: dict[str, str]) -> ShownTable | None:
    spec = spec_for(release.source, release.table_name)
    if spec is None:
        return None  # a table this version no longer knows: nothing to label it with
    stored: dict[str, Any] = content(release)
    figures: dict[str, Measure] = stored["rows"]
    rows = [
        Row(code, words, figures[code])
        for code, words in spec.categories.items()
        if code in figures
    ]
    # A one-category table (the caseload) is its own total: shown once, exported once.
    counts = stored["kind"] == "counts" and len(rows) > 1
    total = Row(TOTAL, TOTAL, stored["total"]) if counts else None
    provider = names.get(release.provider_id, "Provider") if release.source == "provider" else ""
    slug = "-".join(
        filter(None, [release.source, release.provider_id, release.table_name.replace(".", "-")])
    )
    return ShownTable(slug, release.source, provider, spec, rows, total, release.released_on)


def default_period() -> str | None:
    labels = db.session.scalars(select(Release.period).distinct())
    ordered = sorted(labels, key=period_order, reverse=True)
    return ordered[0] if ordered else None


def period_words(label: str) -> str:
    """'2025-26 Q3' -> '2025-26 Q3 (October to December 2025)'."""
    period = Period.from_label(label)
    return f"{label} ({period.start:%B %Y} to {period.end:%B %Y})"
