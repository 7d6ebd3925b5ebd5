"""No forged or impossible event from intake makes the provider close or purge a case (G9).

The insider can write intake's database (SQL) but changes no code or configuration. They mark
a referral withdrawn with a date before it was received, in the future, or before a message the
referrer sent; or scramble its workflow dates. The console refuses each impossible event,
changes nothing in the case, records the refusal in its audit log (case, kind and reason only)
and shows it on the sync page; and even a possible withdrawal keeps the case for the
provider's own minimum, counted from the day the console learned of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from app.console import retention, sla
from app.console.sync_store import withdrawal_retention_days
from app.console.sync_summary import Refusal
from app.extensions import console_db, intake_db
from app.models.console import AuditEntry, Case
from tests.console.accounts_support import cli
from tests.console.conftest import Staff, sign_in_as
from tests.two_apps import Linked, linked_fixture  # noqa: F401

BEFORE_REFERRAL = "dated before the referral was received"


def at_intake(linked: Linked, statement: str, **values: object) -> None:
    """The insider's SQL console on intake's database."""
    with linked.intake.app_context():
        intake_db.session.execute(sa.text(statement), values)
        intake_db.session.commit()


def forge_withdrawal(linked: Linked, referral_id: str, on: date) -> None:
    at_intake(
        linked,
        "update referrals set status = 'withdrawn', closed_on = :on, "
        "closure_reason = 'withdrawn_by_referrer' where id = :id",
        on=on, id=referral_id,
    )


def delivered(linked: Linked, received_on: date | None = None) -> str:
    """A referral (received on `received_on` at intake) that the console now holds."""
    referral_id = linked.refer()
    if received_on is not None:
        at_intake(linked, "update referrals set received_on = :on where id = :id",
                  on=received_on, id=referral_id)
    assert linked.sync().errors == []
    return referral_id


def case_columns(linked: Linked, case_id: str) -> dict[str, object]:
    with linked.console.app_context():
        row = console_db.session.execute(
            sa.select(Case.__table__).where(Case.id == case_id)
        ).mappings().one()
        return dict(row)


def refusals_audited(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            (e.actor, e.subject, e.detail)
            for e in console_db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "sync_refused")
                .order_by(AuditEntry.seq)
            )
        ]


def still_held_after_purge(linked: Linked, case_id: str) -> bool:
    result = cli(linked.console, "purge")
    assert result.exit_code == 0, result.output
    return linked.case(case_id) is not None


@pytest.mark.parametrize(
    ("shift", "reason"),
    [
        (lambda today: today - timedelta(days=1), BEFORE_REFERRAL),
        (lambda today: date(2001, 1, 1), BEFORE_REFERRAL),
        (lambda today: today + timedelta(days=3), "dated after today"),
    ],
    ids=["the-day-before", "long-ago", "in-the-future"],
)
def test_an_impossibly_dated_withdrawal_changes_nothing_and_is_reported(
    linked: Linked, shift: Callable[[date], date], reason: str
) -> None:
    case_id = delivered(linked)
    before = case_columns(linked, case_id)
    forge_withdrawal(linked, case_id, shift(sla.today()))

    summary = linked.sync()

    assert summary.refused == [Refusal(case_id, "withdrawal", reason)]
    assert summary.withdrawals == 0
    assert case_columns(linked, case_id) == before  # not withdrawn, no purge date
    assert refusals_audited(linked.console) == [
        ("sync", f"case:{case_id}", f"withdrawal: {reason}")
    ]
    assert still_held_after_purge(linked, case_id)


def test_a_refused_withdrawal_is_acknowledged_so_it_is_reported_once(linked: Linked) -> None:
    case_id = delivered(linked)
    forge_withdrawal(linked, case_id, date(2001, 1, 1))
    linked.sync()

    again = linked.sync()

    assert (again.refused, again.errors) == ([], [])
    assert len(refusals_audited(linked.console)) == 1
    assert linked.intake_referral(case_id).delivered_on is None  # no longer pending


def test_a_withdrawal_dated_before_a_message_the_referrer_sent_is_refused(
    linked: Linked,
) -> None:
    case_id = delivered(linked, received_on=sla.today() - timedelta(days=10))
    linked.referrer_says(case_id, "are you there?")
    at_intake(linked, "update messages set sent_on = :on where referral_id = :id",
              on=sla.today() - timedelta(days=2), id=case_id)
    linked.sync()
    forge_withdrawal(linked, case_id, sla.today() - timedelta(days=5))

    summary = linked.sync()

    reason = "dated before a message the referrer sent"
    assert summary.refused == [Refusal(case_id, "withdrawal", reason)]
    assert linked.case(case_id).withdrawn_on is None  # type: ignore[union-attr]


def test_a_possible_withdrawal_without_the_phrase_holders_proof_changes_nothing(
    linked: Linked,
) -> None:
    long_ago = date(2018, 5, 1)
    case_id = delivered(linked, received_on=long_ago)
    forge_withdrawal(linked, case_id, long_ago + timedelta(days=1))
    before = case_columns(linked, case_id)

    summary = linked.sync()
    linked.settle()

    assert summary.refused == [
        Refusal(case_id, "withdrawal", "it carries no proof from the referrer")
    ]
    assert case_columns(linked, case_id) == before
    assert linked.intake_referral(case_id).delivered_on is None  # not offered again
    assert still_held_after_purge(linked, case_id)


def test_a_real_withdrawal_the_insider_back_dates_is_refused_when_its_proof_is_checked(
    linked: Linked,
) -> None:
    long_ago = date(2018, 5, 1)
    case_id = delivered(linked, received_on=long_ago)
    linked.withdraw(case_id)  # made today, with the phrase
    at_intake(linked, "update referrals set closed_on = :on where id = :id",
              on=long_ago + timedelta(days=1), id=case_id)
    before = case_columns(linked, case_id)

    assert linked.sync().withdrawals == 1  # held: the sync has no key to check it
    assert linked.settle() == 1

    after = case_columns(linked, case_id)
    assert after["withdrawn_on"] is None and after["purge_after"] == before["purge_after"]
    assert refusals_audited(linked.console) == [(
        "advisor@example.org", f"case:{case_id}",
        "withdrawal: its proof does not verify; the case is unchanged",
    )]
    assert still_held_after_purge(linked, case_id)


def test_a_real_withdrawal_keeps_the_case_for_the_full_minimum_from_the_day_it_is_checked(
    linked: Linked,
) -> None:
    case_id = delivered(linked, received_on=date(2018, 5, 1))
    linked.withdraw(case_id)
    linked.console.config["WITHDRAWN_RETENTION_DAYS"] = 400

    linked.sync()
    linked.settle()

    case = linked.case(case_id)
    assert case is not None and case.withdrawn_on == date.today()
    assert case.purge_after == sla.today() + timedelta(days=400)
    assert still_held_after_purge(linked, case_id)
    with linked.console.app_context():
        retention.purge_expired(console_db.session, sla.today() + timedelta(days=401))
    assert linked.case(case_id) is None  # and then it does go, as the policy says


def test_a_withdrawal_never_shortens_the_retention_set_by_the_providers_own_closing(
    linked: Linked,
) -> None:
    case_id = delivered(linked)
    kept_until = sla.today() + timedelta(days=2190)
    with linked.console.app_context():
        console_db.session.execute(
            sa.update(Case).where(Case.id == case_id)
            .values(status="closed", closed_on=sla.today(), purge_after=kept_until)
        )
        console_db.session.commit()
    linked.console.config["WITHDRAWN_RETENTION_DAYS"] = 1
    forge_withdrawal(linked, case_id, sla.today())

    linked.sync()

    assert linked.case(case_id).purge_after == kept_until  # type: ignore[union-attr]


def test_scrambled_workflow_dates_at_intake_change_nothing_in_the_console(
    linked: Linked,
) -> None:
    case_id = delivered(linked, received_on=sla.today() - timedelta(days=20))
    before = case_columns(linked, case_id)
    at_intake(
        linked,
        "update referrals set status = 'closed', received_on = :late, acknowledged_on = :a, "
        "first_contact_on = :b, contact_made_on = :c, closed_on = :d, "
        "closure_reason = 'declined' where id = :id",
        late=sla.today(), a=sla.today() + timedelta(days=9), b=date(2001, 1, 1),
        c=sla.today() - timedelta(days=30), d=sla.today() - timedelta(days=40), id=case_id,
    )

    summary = linked.sync()

    assert summary.errors == []
    assert case_columns(linked, case_id) == before
    assert still_held_after_purge(linked, case_id)


def test_a_referral_dated_in_the_future_is_kept_as_received_today_and_reported(
    linked: Linked,
) -> None:
    referral_id = linked.refer()
    at_intake(linked, "update referrals set received_on = :on where id = :id",
              on=sla.today() + timedelta(days=30), id=referral_id)

    summary = linked.sync()

    assert summary.new_cases == 1
    reason = "dated after today; recorded as received today"
    assert summary.refused == [Refusal(referral_id, "referral date", reason)]
    assert linked.case(referral_id).received_on == sla.today()  # type: ignore[union-attr]
    assert refusals_audited(linked.console) == [
        ("sync", f"case:{referral_id}", f"referral date: {reason}")
    ]


def test_a_real_withdrawal_still_marks_the_case_withdrawn(linked: Linked) -> None:
    case_id = delivered(linked)
    linked.withdraw(case_id)

    summary = linked.sync()
    linked.settle()

    assert (summary.withdrawals, summary.refused, summary.errors) == (1, [], [])
    case = linked.case(case_id)
    assert case is not None and case.withdrawn_on == sla.today()
    with linked.console.app_context():
        kept = withdrawal_retention_days()
    assert case.purge_after == sla.today() + timedelta(days=kept)


def test_the_sync_page_shows_each_refusal_with_its_case_and_reason(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    case_id = delivered(linked)
    forge_withdrawal(linked, case_id, date(2001, 1, 1))
    linked.sync()
    browser = sign_in_as(linked.console.test_client(), make_advisor())

    page = browser.get("/sync").get_data(as_text=True)

    assert "Refused from intake" in page
    assert case_id[:8] in page
    assert "Dated before the referral was received" in page
    assert f"/cases/{case_id}" in page
