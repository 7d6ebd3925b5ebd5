"""A police-side insider with write access to intake's database cannot read, forge or move a
message, nor make the provider act on a withdrawal the referrer did not make (DESIGN threat 1,
G2, G9).

The insider here is an SQL console on intake's real database: no code or configuration changes.
The referrer uses the real intake pages with their reference phrase; the advisor uses the
console; the two apps talk through the real delivery API.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.console import casework
from app.extensions import console_db, intake_db
from app.models.console import Advisor, AuditEntry, Case, OutboxItem
from crypto.envelope import open_record, seal_record
from crypto.errors import DecryptionError
from crypto.keys import PrivateKey, PublicKey
from tests.console.conftest import Staff, sign_in_as
from tests.referrer import MINIMAL_ANSWERS, Referrer
from tests.two_apps import Linked, linked_fixture  # noqa: F401

FORGED = "Call me back on 07700 900 666"


def at_intake(linked: Linked, statement: str, **values: object) -> None:
    """The insider's SQL console on intake's database."""
    with linked.intake.app_context():
        intake_db.session.execute(sa.text(statement), values)
        intake_db.session.commit()


def from_intake(linked: Linked, statement: str, **values: object) -> list[sa.Row]:
    with linked.intake.app_context():
        return list(intake_db.session.execute(sa.text(statement), values))


def case_ids(linked: Linked) -> set[str]:
    with linked.console.app_context():
        return set(console_db.session.scalars(sa.select(Case.id)))


def referred(linked: Linked) -> tuple[Referrer, str, str]:
    """A person who referred themselves through the pages, now a case in the console:
    (their browser, their phrase, the referral id)."""
    before = case_ids(linked)
    referrer = Referrer(linked.intake.test_client())
    phrase = referrer.refer(MINIMAL_ANSWERS)
    assert linked.sync().errors == []
    (referral_id,) = case_ids(linked) - before
    return referrer, phrase, referral_id


def reply(linked: Linked, staff: Staff, case_id: str, text: str) -> str:
    """An advisor's reply, sent as the reply page sends it; its id."""
    with linked.console.app_context():
        case = console_db.session.get(Case, case_id)
        advisor = console_db.session.get(Advisor, staff.id)
        assert case is not None and advisor is not None
        message = casework.send_reply(
            console_db.session, advisor, case, text, linked.keys.recipient.public_key,
            date.today(), linked.referrer_of(case),
        )
        return message.id


def status_page(referrer: Referrer, phrase: str) -> str:
    referrer.client.get("/sign-out")
    assert referrer.sign_in(phrase).status_code == 303
    return referrer.client.get("/status").get_data(as_text=True)


@pytest.fixture
def staff(make_advisor: Callable[..., Staff]) -> Staff:
    return make_advisor()


@pytest.fixture
def advisor_browser(linked: Linked, staff: Staff) -> FlaskClient:
    return sign_in_as(linked.console.test_client(), staff)


def test_a_swapped_clear_referrer_key_opens_no_reply(linked: Linked, staff: Staff) -> None:
    referrer, phrase, referral_id = referred(linked)
    (real_key,) = from_intake(
        linked, "select referrer_public_key from referrals where id = :id", id=referral_id
    )
    insider = PrivateKey.generate()
    at_intake(linked, "update referrals set referrer_public_key = :key where id = :id",
              key=insider.public_key.to_bytes(), id=referral_id)

    reply_id = reply(linked, staff, referral_id, "Reply marker 5521")
    with linked.console.app_context():
        item = console_db.session.get(OutboxItem, f"reply:{reply_id}")
        assert item is not None
        queued = base64.b64decode(json.loads(item.body)["sealed"])
    # Sealed to the key inside the envelope, which the phrase derives, not to the insider's.
    with pytest.raises(DecryptionError):
        open_record("message", reply_id, queued, insider)
    assert PublicKey.from_bytes(real_key[0]).key_id != insider.public_key.key_id

    summary = linked.sync()
    assert any("reply" in error or "referrer key" in error for error in summary.errors)
    for (blob,) in from_intake(linked, "select sealed_for_referrer from messages"):
        with pytest.raises(DecryptionError):
            open_record("message", reply_id, blob, insider)

    # Put back, the reply goes through and only the phrase holder reads it.
    at_intake(linked, "update referrals set referrer_public_key = :key where id = :id",
              key=real_key[0], id=referral_id)
    assert linked.sync().errors == []
    assert "Reply marker 5521" in status_page(referrer, phrase)


def test_an_inserted_moved_or_reordered_advisor_message_never_shows_on_the_status_page(
    linked: Linked, staff: Staff
) -> None:
    referrer, phrase, referral_id = referred(linked)
    other, other_phrase, other_id = referred(linked)
    first = reply(linked, staff, referral_id, "First reply 1111")
    second = reply(linked, staff, referral_id, "Second reply 2222")
    theirs = reply(linked, staff, other_id, "Reply for someone else 3333")
    assert linked.sync().errors == []
    page = status_page(referrer, phrase)
    assert page.index("First reply 1111") < page.index("Second reply 2222")

    # Inserted: sealed to the clear referrer key, as the insider can; with and without a proof.
    (clear_key,) = from_intake(
        linked, "select referrer_public_key from referrals where id = :id", id=referral_id
    )
    for n, proof in enumerate([secrets.token_bytes(32), None]):
        forged_id = f"forged{n}" + secrets.token_urlsafe(12)
        sealed = seal_record("message", forged_id, {"body": FORGED},
                             PublicKey.from_bytes(clear_key[0]))
        at_intake(
            linked,
            "insert into messages (id, referral_id, position, author, sent_on, "
            "sealed_for_referrer, sequence, proof) values (:id, :rid, :pos, 'advisor', :on, "
            ":sealed, :seq, :proof)",
            id=forged_id, rid=referral_id, pos=90 + n, on=date.today(), sealed=sealed,
            seq=3 + n, proof=proof,
        )
    # Moved: someone else's real reply, put on this referral.
    at_intake(linked, "update messages set referral_id = :rid where id = :id",
              rid=referral_id, id=theirs)
    page = status_page(referrer, phrase)
    assert FORGED not in page and "Reply for someone else 3333" not in page
    assert page.index("First reply 1111") < page.index("Second reply 2222")
    assert "Reply for someone else 3333" not in status_page(other, other_phrase)

    # Positions are intake's word, so they cannot reorder one side's messages...
    at_intake(linked, "update messages set position = 100 - position where id in (:a, :b)",
              a=first, b=second)
    page = status_page(referrer, phrase)
    assert page.index("First reply 1111") < page.index("Second reply 2222")
    # ...and swapping the proven sequence numbers makes both fail their proofs.
    at_intake(linked, "update messages set sequence = 3 - sequence where id in (:a, :b)",
              a=first, b=second)
    page = status_page(referrer, phrase)
    assert "First reply 1111" not in page and "Second reply 2222" not in page


def test_a_referrer_message_forged_at_intake_is_never_shown_to_advisors_and_is_reported(
    linked: Linked, advisor_browser: FlaskClient
) -> None:
    referrer, phrase, referral_id = referred(linked)
    assert referrer.sign_in(phrase).status_code == 303
    assert referrer.send_message("A real message 4444").status_code == 303
    (provider_key,) = from_intake(linked, "select public_key from recipient_keys")
    forged_id = secrets.token_urlsafe(16)
    at_intake(
        linked,
        "insert into messages (id, referral_id, position, author, sent_on, sealed_for_provider, "
        "sealed_for_referrer, sequence, proof) values (:id, :rid, 50, 'referrer', :on, :sealed, "
        "null, 2, :proof)",
        id=forged_id, rid=referral_id, on=date.today(),
        sealed=seal_record("message", forged_id, {"body": FORGED},
                           PublicKey.from_bytes(provider_key[0])),
        proof=secrets.token_bytes(32),
    )
    assert linked.sync().errors == []

    page = advisor_browser.get(f"/cases/{referral_id}").get_data(as_text=True)
    assert "A real message 4444" in page
    assert FORGED not in page
    assert "1 message from intake is not shown" in page
    sync_page = advisor_browser.get("/sync").get_data(as_text=True)
    assert referral_id[:8] in sync_page and "proof of origin does not verify" in sync_page
    # Audited once, however often the case is opened.
    advisor_browser.get(f"/cases/{referral_id}")
    with linked.console.app_context():
        refusals = console_db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "sync_refused")
        ).all()
    assert [entry.subject for entry in refusals] == [f"case:{referral_id}"]


def test_a_withdrawal_made_with_the_phrase_reaches_the_console_end_to_end(
    linked: Linked, advisor_browser: FlaskClient
) -> None:
    referrer, phrase, referral_id = referred(linked)
    assert referrer.sign_in(phrase).status_code == 303
    assert referrer.post("/status/delete", {}).status_code == 303
    assert linked.sync().withdrawals == 1

    assert advisor_browser.get("/").status_code == 200  # someone with the key looks

    case = linked.case(referral_id)
    assert case is not None and case.withdrawn_on == date.today()
    with linked.console.app_context():
        verified = console_db.session.scalars(
            sa.select(AuditEntry.subject).where(AuditEntry.action == "withdrawal_verified")
        ).all()
    assert verified == [f"case:{referral_id}"]
