"""Released tables as stored: JSON in a Release row, read back exactly as released.

A counts table keeps the rules it was protected with, so a later change of configuration
cannot change how an old release is read. Measures are named figures (None when withheld).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from app.disclosure import DisclosureRules, Period, ProtectedTable
from app.extensions import intake_db as db
from app.models.standards import Release

Measure = int | float | None


def counts_content(table: ProtectedTable) -> dict[str, Any]:
    return {
        "kind": "counts",
        "rules": {
            "threshold": table.rules.threshold,
            "rounding_base": table.rules.rounding_base,
        },
        "rows": dict(table.rows),
        "total": table.total,
    }


def measures_content(rows: dict[str, Measure]) -> dict[str, Any]:
    return {"kind": "measures", "rows": dict(rows)}


def content(release: Release) -> dict[str, Any]:
    return json.loads(release.content)


def as_table(release: Release) -> ProtectedTable:
    stored = content(release)
    if stored["kind"] != "counts":
        raise ValueError(f"{release.table_name} is not a counts table")
    return ProtectedTable(stored["rows"], stored["total"], DisclosureRules(**stored["rules"]))


def new_release(
    source: str,
    provider_id: str,
    period: Period,
    name: str,
    data: dict[str, Any],
    on: date,
    audit: Mapping[str, Any] | None = None,
) -> Release:
    # Keys in a fixed order, so the stored text (and any export of it) is byte-for-byte stable.
    return Release(
        source=source,
        provider_id=provider_id,
        period=period.label,
        table_name=name,
        content=json.dumps(data, separators=(",", ":")),
        released_on=on,
        audit=None if audit is None else json.dumps(dict(audit), separators=(",", ":")),
    )


def audit_entry(release: Release) -> dict[str, Any] | None:
    """The release audit's figures for a released table (None: released before the audit)."""
    return None if release.audit is None else json.loads(release.audit)


def releases(
    source: str | None = None, provider_id: str | None = None, period: str | None = None
) -> list[Release]:
    query = select(Release)
    if source is not None:
        query = query.where(Release.source == source)
    if provider_id is not None:
        query = query.where(Release.provider_id == provider_id)
    if period is not None:
        query = query.where(Release.period == period)
    return list(db.session.scalars(query))


def period_order(label: str) -> tuple:
    """Sort key: by end date, and a year after its fourth quarter (they end the same day)."""
    period = Period.from_label(label)
    return (period.end, period.kind == "year")


def released_periods() -> list[str]:
    """Every period with at least one released table, newest first."""
    labels = db.session.scalars(select(Release.period).distinct())
    return sorted(labels, key=period_order, reverse=True)
