"""Time of the standards dashboard over 1,000,000 referrals on PostgreSQL (target: < 300 ms).

Run: .venv/bin/python -m benchmarks.dashboard [--database-url URL] [--referrals N] [--requests N]
     [--without-bounds]
The app gets production's engine options for intake's web process (app/config.py
`engine_options`: connect bounds and the 20 s statement bound); --without-bounds leaves out
the bounds (the engine as before they existed), for a same-run baseline.
The database (default: safe_referral_bench on the local server) is created if missing, and
its tables are dropped and rebuilt with the real migrations, so the indexes are the ones
production gets. Referrals are generated inside PostgreSQL with generate_series: synthetic
service, status and workflow dates from 1 April 2021 to yesterday (five financial years and
the current one), in seconds rather than the minutes row-by-row inserts would take. The
table is then clustered on received_on, the physical order intake's appends give it.

Scenarios, each a median over --requests full GETs through the app (signed-in analyst,
split session, release check, queries, pygal charts, template):
- fresh quarter: the newest quarter has just settled, so the request first releases it
  (its tables are deleted again before each repetition);
- year end: releasing a fourth quarter together with its financial year (timed directly);
- warm: the dashboard for the newest quarter and for a year, the release log, and the
  newest quarter again once a provider return adds its 13 tables and charts.
Then EXPLAIN (ANALYZE, BUFFERS) of every query a fresh quarter and a year end run, as
captured from the app itself, for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import delete, event

from app import create_intake_app
from app.config import engine_options
from app.disclosure import DisclosureRules, Period, period_for, protect_one_way
from app.extensions import intake_db as db
from app.models.intake import Recipient
from app.models.standards import Release
from app.return_contract import PROVIDER_TABLES, SAME_POPULATION
from app.standards import releases as releasing
from app.standards.provider_returns import accept_provider_return
from crypto.keyfile import TEST_PARAMS
from tests.standards.conftest import ready_analyst, sign_in_as

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/safe_referral_bench"
FIRST_DAY = date(2021, 4, 1)

# One INSERT ... SELECT: each referral's dates follow from a few random draws. md5() and
# random() here only make synthetic benchmark ids inside PostgreSQL; nothing secret.
GENERATE = """
INSERT INTO referrals (id, service, recipient_id, status, received_on, delivered_on,
                       acknowledged_on, first_contact_on, contact_made_on, closed_on,
                       closure_reason, urgent)
SELECT substr(md5(g::text || random()::text), 1, 22),
       (ARRAY['idva', 'idva', 'idva', 'isva', 'not_sure'])[1 + floor(random() * 5)::int],
       :recipient,
       CASE WHEN withdrawn THEN 'withdrawn'
            WHEN closed_on IS NOT NULL THEN 'closed' ELSE 'with_advisor' END,
       received_on, received_on, ack_on, contact_on, contact_on + 1,
       CASE WHEN withdrawn THEN received_on + 1 ELSE closed_on END,
       CASE WHEN withdrawn THEN 'withdrawn_by_referrer' WHEN closed_on IS NULL THEN NULL
            ELSE (ARRAY['support_completed', 'support_completed', 'no_contact_possible',
                        'declined', 'referred_on', 'withdrawn', 'other'])
                 [1 + floor(random() * 7)::int] END,
       CASE WHEN r < 0.2 THEN true WHEN r < 0.8 THEN false ELSE NULL END
FROM (
  SELECT g, received_on, r, ack_on, contact_on, withdrawn,
         CASE WHEN contact_on + stay < :today THEN contact_on + stay END AS closed_on
  FROM (
    SELECT g, received_on, random() AS r, random() < 0.02 AS withdrawn,
           received_on + (ARRAY[0, 1, 1, 1, 2, 3])[1 + floor(random() * 6)::int] AS ack_on,
           received_on + (ARRAY[0, 1, 2, 2, 3, 5])[1 + floor(random() * 6)::int] AS contact_on,
           20 + floor(random() * 180)::int AS stay
    FROM (
      SELECT g, :first + floor(random() * (:today - :first))::int AS received_on
      FROM generate_series(1, :n) AS g
    ) AS drawn
  ) AS dated
) AS done
"""


def make_app(url: str, bounds: bool = True) -> Flask:
    base = sa.engine.make_url(url)
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("select 1 from pg_database where datname = :n"),
                             {"n": base.database})
        if not exists:
            conn.execute(sa.text(f'create database "{base.database}"'))
    admin.dispose()
    options = engine_options(url, web_process=True)
    if not bounds:
        options.pop("connect_args", None)
    return create_intake_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_ENGINE_OPTIONS": options,
        "ANALYST_ARGON2": TEST_PARAMS, "FUNDED_CAPACITY": {
            f"{fy}-{(fy + 1) % 100:02d}": 180_000 for fy in range(2021, 2027)
        },
    })


def rebuild(app: Flask, referrals: int) -> float:
    with app.app_context():
        metadata = sa.MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        upgrade()
        provider = Recipient(name="Benchmark advisor service")
        db.session.add(provider)
        db.session.commit()
        started = time.perf_counter()
        # Loading a million rows is not a request: lift the web statement bound for it.
        db.session.execute(sa.text("SET LOCAL statement_timeout = 0"))
        db.session.execute(sa.text(GENERATE), {
            "recipient": provider.id, "n": referrals, "first": FIRST_DAY, "today": date.today(),
        })
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Intake appends each referral on the day it arrives, so the table is in
            # received_on order; random draws are not, so put them in that order once.
            conn.execute(sa.text("SET statement_timeout = 0"))
            conn.execute(sa.text("CLUSTER referrals USING ix_referrals_received_on"))
            conn.execute(sa.text("VACUUM ANALYZE referrals"))
        return time.perf_counter() - started


def median_ms(
    run: Callable[[], object], times: int, before: Callable[[], object] = lambda: None
) -> float:
    spent = []
    for _ in range(times):
        before()
        started = time.perf_counter()
        run()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


def forget(app: Flask, *labels: str) -> None:
    with app.app_context():
        db.session.execute(delete(Release).where(Release.period.in_(labels)))
        db.session.commit()


@contextmanager
def captured(app: Flask) -> Iterator[list[tuple[str, object]]]:
    """Every SQL statement the app runs on referrals, with its parameters."""
    seen: list[tuple[str, object]] = []

    def listen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if "FROM referrals" in statement and not statement.startswith("EXPLAIN"):
            seen.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            yield seen
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)


def explain(app: Flask, statements: list[tuple[str, object]]) -> list[str]:
    plans = []
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in statements:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plans.append(statement + "\n" + "\n".join(row[0] for row in cursor.fetchall()))
        finally:
            raw.close()
    return plans


def provider_return(app: Flask, quarter: Period) -> None:
    """A statistical return for the quarter, as the console would send it."""
    rules = DisclosureRules()
    with app.app_context():
        provider = db.session.scalars(sa.select(Recipient)).first()
        tables = {}
        for name, spec in PROVIDER_TABLES.items():
            counts = {code: 400 + 40 * i for i, code in enumerate(spec.categories)}
            table = protect_one_way(counts, rules)
            tables[name] = {"rows": dict(table.rows), "total": table.total}
        total = next(t["total"] for n, t in tables.items() if n == "role_group")
        for name in SAME_POPULATION:  # the same cases: one total, as a real return has
            if tables[name]["total"] != total:
                counts = dict.fromkeys(PROVIDER_TABLES[name].categories, 0)
                counts.update(zip(counts, _split(total), strict=False))
                table = protect_one_way(counts, rules)
                tables[name] = {"rows": dict(table.rows), "total": table.total}
        accept_provider_return(provider.id, quarter.label, tables, rules)


def _split(total: int) -> list[int]:
    return [total // 2, total - total // 2]


def _mentions(parameters: object, value: object) -> bool:
    values = parameters.values() if isinstance(parameters, dict) else parameters
    return value in list(values or ())  # type: ignore[call-overload]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--without-bounds", action="store_true",
                        help="no connect or statement bounds: the baseline")
    args = parser.parse_args()

    app = make_app(args.database_url, bounds=not args.without_bounds)
    print("engine options:", app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    print(f"generating {args.referrals:,} referrals ...")
    print(f"  loaded in {rebuild(app, args.referrals):.1f} s")
    with app.app_context():
        print("  server:", db.session.scalar(sa.text("select version()")).split(",")[0])
    client = sign_in_as(app.test_client(), ready_analyst(app, "bench@dps.test"))

    today = date.today()
    with app.app_context():
        upcoming = releasing.next_release(today)[0]  # the quarter still settling
    newest = Period(upcoming.fy, upcoming.quarter - 1) if upcoming.quarter != 1 else Period(
        upcoming.fy - 1, 4
    )
    settle = app.config["STANDARDS_SETTLE_DAYS"]
    started = time.perf_counter()
    with app.app_context():
        made = releasing.release_due(newest.end + timedelta(days=settle))  # all but the newest
        periods = len({r.period for r in made})
    print(f"backfill: {len(made)} tables for {periods} periods in "
          f"{time.perf_counter() - started:.1f} s (once, on first deployment; cron it)")

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, response.status_code

    fresh = median_ms(lambda: get("/standards/"), args.requests,
                      before=lambda: forget(app, newest.label))
    print(f"fresh quarter ({newest.label}, released during the request): {fresh:.0f} ms")

    year = Period(period_for(today, "year").fy - 1)
    q4 = year.quarters()[3]
    later = [p.label for p in (Period(year.fy + 1, q) for q in (1, 2, 3, 4))]

    def release_year_end() -> None:
        with app.app_context():
            releasing.release_due(year.end + timedelta(days=settle + 1))

    year_end = median_ms(release_year_end, max(3, args.requests // 3),
                         before=lambda: forget(app, q4.label, year.label, *later))
    print(f"year end ({q4.label} and {year.label} released together): {year_end:.0f} ms")
    with app.app_context():
        releasing.release_due()

    for name, path in (("newest quarter", "/standards/"),
                       (f"year {year.label}", f"/standards/?period={year.label}"),
                       ("release log", "/standards/releases")):
        print(f"warm, {name}: {median_ms(lambda p=path: get(p), args.requests):.0f} ms")
    provider_return(app, newest)
    with_return = median_ms(lambda: get("/standards/"), args.requests)
    print(f"warm, newest quarter with a provider return (13 more charts): {with_return:.0f} ms")

    forget(app, newest.label)
    with captured(app) as statements:
        get("/standards/")
    forget(app, q4.label, year.label, *later)
    with captured(app) as year_statements:
        release_year_end()
    with app.app_context():
        releasing.release_due()
    print("\n--- EXPLAIN (ANALYZE, BUFFERS): fresh quarter ---")
    for plan in explain(app, statements):
        print(plan, end="\n\n")
    print("--- EXPLAIN (ANALYZE, BUFFERS): year end, the year's queries ---")
    for plan in explain(app, [s for s in year_statements if _mentions(s[1], year.start)]):
        print(plan, end="\n\n")


if __name__ == "__main__":
    main()
