"""How long the demo backfill takes, and what it withholds (issue 10 item 8, issue 13).

Fills both apps with the demo history through demo.fill, as `make run` does (full size, on
temporary SQLite files), and prints the time of the whole fill and of intake's own releases
(`release_due`, with the linked check and the release audit), each year's released total of
referrals received, and how many of intake's count figures are withheld.

Run: `.venv/bin/python -m benchmarks.demo_backfill [--today 2026-11-25]`. For a baseline, run
the same script from a copy of the code before a change (`git archive HEAD | tar -x -C DIR`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import demo.fill as demo_fill
from app import create_console_app, create_intake_app
from app.extensions import console_db, intake_db
from app.intake import recipients
from app.models.console import RecipientKeyRecord
from app.models.standards import Release
from app.standards.stored import content, releases
from crypto.custody import new_recovery_key, wrap_for_recovery
from crypto.keyfile import TEST_PARAMS
from crypto.keys import PrivateKey
from demo.run import DEMO_FUNDED_CAPACITY
from tests.console.conftest import console_settings
from tests.provider_signing import register_signed


def backfill(today: date, folder: Path) -> dict[str, Any]:
    intake = create_intake_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'intake.sqlite'}",
            "PHRASE_ARGON2": TEST_PARAMS,
            "RATELIMIT_ENABLED": False,
            "FUNDED_CAPACITY": DEMO_FUNDED_CAPACITY,
        }
    )
    console = create_console_app(console_settings(f"sqlite:///{folder / 'console.sqlite'}"))
    key = PrivateKey.generate()
    with intake.app_context():
        intake_db.create_all()
        register_signed("Demo advisor service", key.public_key)
        for service in ("idva", "isva", "not_sure"):
            recipients.assign(service, "Demo advisor service")
    with console.app_context():
        console_db.create_all()
        console_db.session.add(
            RecipientKeyRecord(
                key_id=key.key_id,
                generation=1,
                public_key=key.public_key.to_bytes(),
                recovery_blob=wrap_for_recovery(key, new_recovery_key()),
            )
        )
        console_db.session.commit()
    spent: list[float] = []
    release_due = demo_fill.release_due

    def timed(today: date | None = None) -> list[Release]:
        started = time.perf_counter()
        made = release_due(today)
        spent.append(time.perf_counter() - started)
        return made

    demo_fill.release_due = timed  # the fill's own call, timed where it is made
    try:
        started = time.perf_counter()
        demo_fill.fill(intake, console, key, today=today, scale=1.0)
        whole = time.perf_counter() - started
    finally:
        demo_fill.release_due = release_due
    with intake.app_context():
        tables = [(r.period, r.table_name, content(r)) for r in releases(source="intake")]
    counts = [c for _, _, c in tables if c["kind"] == "counts"]
    cells = [v for c in counts for v in c["rows"].values()]
    totals = [c["total"] for c in counts]
    return {
        "fill": whole,
        "release_due": sum(spent),
        "years": {p: c["total"] for p, name, c in tables if name == "received" and " " not in p},
        "cells": (cells.count(None), len(cells)),
        "totals": (totals.count(None), len(totals)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 25))
    today = parser.parse_args().today
    with tempfile.TemporaryDirectory() as folder:
        found = backfill(today, Path(folder))
    print(f"demo backfill to {today}: {found['fill']:.1f} s in all")
    print(f"  intake's releases (release_due): {found['release_due']:.1f} s")
    print(
        "  each year's referrals received: "
        + ", ".join(
            f"{year} {'[c]' if total is None else total}" for year, total in found["years"].items()
        )
    )
    print(
        "  intake count figures withheld: {} of {} cells, {} of {} totals".format(
            *found["cells"], *found["totals"]
        )
    )


if __name__ == "__main__":
    main()
