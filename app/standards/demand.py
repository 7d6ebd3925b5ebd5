"""Demand against funded capacity, with a projection to the year end (DESIGN 7).

Every figure here is worked out from figures already released (the rounded quarter and year
totals) and the funded capacity, which is public: nothing new about anyone can come out of
it. In particular the year-to-date count is the sum of released quarter totals, never a
fresh count of referrals so far, which would be a new, nested release to subtract from.

The projection assumes the remaining quarters run at the average rate of the released ones,
and treats quarterly counts as Poisson. The 90% range is a normal approximation to the
predictive distribution: the remaining quarters' own Poisson variation plus the uncertainty
in the rate. Rounding each released total by up to half the rounding base adds a little
more, which the range does not include.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from app.disclosure import DisclosureRules, Period
from app.standards.stored import Measure

Z_90 = 1.6449  # two-sided 90%: the 5th and 95th percentiles of the standard normal


def _round(value: float, base: int) -> int:
    return math.floor(value / base + 0.5) * base


def _percent(part: int | None, whole: int | None) -> int | None:
    if part is None or not whole:
        return None
    return (200 * part + whole) // (2 * whole)  # half up, in integers


def projection(
    received: int, quarters_seen: int, quarters_left: int, rules: DisclosureRules
) -> tuple[int, int, int]:
    """(projected year total, low, high): the 90% range, each rounded to the rounding base."""
    if quarters_seen < 1:
        raise ValueError("need at least one released quarter")
    remaining = received / quarters_seen * quarters_left
    spread = math.sqrt(remaining + (quarters_left / quarters_seen) ** 2 * received)
    centre = received + remaining
    low = max(float(received), centre - Z_90 * spread)
    high = centre + Z_90 * spread
    base = rules.rounding_base
    return _round(centre, base), _round(low, base), _round(high, base)


def quarter_demand(
    quarter: Period,
    released_totals: Sequence[int | None],
    capacity: int | None,
    rules: DisclosureRules,
) -> dict[str, Measure]:
    """After `quarter`: the year so far from the released totals of its quarters to date.

    `released_totals` are the totals of the year's released quarters up to this one (a
    quarter before the first referral was never released and holds nothing). Figures that
    do not apply (no capacity set; no projection once the year is over) are left out, so a
    None always means withheld.
    """
    assert quarter.quarter is not None
    present = [total for total in released_totals if total is not None]
    known = sum(present) if len(present) == len(released_totals) else None
    figures = _against_capacity(quarter.quarter, known, capacity)
    left = 4 - quarter.quarter
    if left and released_totals:
        centre, low, high = (
            projection(known, len(released_totals), left, rules)
            if known is not None
            else (None,) * 3
        )
        figures |= {"projected_year_total": centre, "projection_low": low, "projection_high": high}
        if capacity:
            figures["projected_percent_of_capacity"] = _percent(centre, capacity)
    return figures


def year_demand(year_total: int | None, capacity: int | None) -> dict[str, Measure]:
    return _against_capacity(4, year_total, capacity)


def _against_capacity(
    quarters: int, received: int | None, capacity: int | None
) -> dict[str, Measure]:
    figures: dict[str, Measure] = {"quarters_completed": quarters, "received_to_date": received}
    if capacity:
        figures = {
            "funded_capacity": capacity,
            **figures,
            "percent_of_capacity": _percent(received, capacity),
        }
    return figures
