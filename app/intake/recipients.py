"""Recipients at intake: signed public keys only, and which recipient serves which service.

This database is not trusted to say which key is the provider's (DESIGN G2): someone who can
write it could put their own public key in `recipient_keys`. So the provider hands intake a
key set signed by its signing key (crypto.key_set), the signing key's fingerprint is pinned in
intake's deployment configuration (PINNED_PROVIDER_KEYS, checked with the provider out of
band), and the set is verified against that pin before every seal. When it does not verify,
or the key rows disagree with it, nothing is sealed (`KeysNotVouched`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Dialect, func, select
from sqlalchemy.orm import aliased

from app.extensions import intake_db as db
from app.models.intake import Recipient, RecipientKey, ServiceRoute
from app.workflow import SERVICES
from crypto.errors import KeySetError
from crypto.key_set import KeySet, check_successor, verify_key_set
from crypto.keys import PublicKey

# Verified sets by (exact blob bytes, pin): verifying ML-DSA-65 + Ed25519 costs about a
# millisecond and every page asks which services are open. Any change to the stored bytes or
# the pin is a new key, so a changed blob is always verified afresh.
_VERIFIED_MAX = 64
_verified: OrderedDict[tuple[bytes, str], KeySet] = OrderedDict()
_verified_lock = threading.Lock()


class RecipientError(ValueError):
    """A recipient operation that cannot be done; the message says why."""


class KeysNotVouched(Exception):
    """The provider's stored keys do not verify against its pinned signing key: seal nothing.

    The message is content-free (it names no referral) and is safe to log.
    """


@dataclass(frozen=True)
class Route:
    recipient_id: str
    key: PublicKey


def pin_for(name: str) -> str | None:
    """The signing key fingerprint pinned for provider `name` in deployment configuration."""
    pins = current_app.config.get("PINNED_PROVIDER_KEYS") or {}
    return pins.get(name)


def verify(blob: bytes, pin: str) -> KeySet:
    """verify_key_set, remembered for these exact bytes and this pin (KeySetError if not)."""
    cache_key = (bytes(blob), pin)
    with _verified_lock:
        found = _verified.get(cache_key)
        if found is not None:
            _verified.move_to_end(cache_key)
            return found
    key_set = verify_key_set(cache_key[0], pin)
    with _verified_lock:
        _verified[cache_key] = key_set
        while len(_verified) > _VERIFIED_MAX:
            _verified.popitem(last=False)
    return key_set


def _checked(name: str, blob: bytes) -> KeySet:
    """A key set for provider `name` verified against its pin; RecipientError says why not."""
    pin = pin_for(name)
    if pin is None:
        raise RecipientError(
            f"No signing key is pinned for {name!r}: add '{name}=FINGERPRINT' to "
            "PINNED_PROVIDER_KEYS after checking the fingerprint with the provider"
        )
    try:
        key_set = verify(blob, pin)
    except KeySetError as error:
        raise RecipientError(f"The key set was refused: {error}") from None
    return key_set


def vouched(recipient: Recipient) -> KeySet:
    """The recipient's key set, verified now against its pin; KeysNotVouched if anything is off."""
    pin = pin_for(recipient.name)
    if pin is None or recipient.key_set is None:
        raise KeysNotVouched("no pinned signing key or no signed key set for this provider")
    try:
        key_set = verify(recipient.key_set, pin)
    except KeySetError:
        raise KeysNotVouched("the provider's key set does not verify against its pin") from None
    # The rows only index the set; one that disagrees with it was not written by intake.
    newest = max(recipient.keys, key=lambda row: row.generation, default=None)
    if newest is None or newest.public_key != key_set.newest.to_bytes():
        raise KeysNotVouched("the provider's newest key row differs from its signed key set")
    return key_set


def register(name: str, key_set_blob: bytes) -> KeySet:
    """Add a recipient with its signed key set (verified against the pin for `name`)."""
    if db.session.scalar(select(Recipient).where(Recipient.name == name)):
        raise RecipientError(f"A recipient called {name!r} already exists; use rotate-key")
    key_set = _checked(name, key_set_blob)
    recipient = Recipient(name=name, key_set=bytes(key_set_blob))
    db.session.add(recipient)
    db.session.flush()
    _add_keys(recipient, key_set)
    db.session.commit()
    return key_set


def take_key_set(name: str, key_set_blob: bytes, replace_unverified: bool = False) -> KeySet:
    """Accept a newer signed key set for `name` (rotation); the same set again changes nothing.

    Safe from an untrusted channel: the set must verify against the pin and roll forward
    (crypto.key_set.check_successor). `replace_unverified` lets an operator restore a provider
    whose stored set no longer verifies (a damaged or tampered row), from a set that does.
    """
    recipient = db.session.scalar(select(Recipient).where(Recipient.name == name))
    if recipient is None:
        raise RecipientError(f"No recipient called {name!r}")
    candidate = _checked(name, key_set_blob)
    try:
        current: KeySet | None = vouched(recipient)
    except KeysNotVouched:
        if not replace_unverified:
            raise RecipientError(
                "The key set intake holds for this provider does not verify; an operator must "
                "replace it (flask recipients rotate --replace-unverified)"
            ) from None
        current = None
    if current is not None:
        try:
            check_successor(current, candidate)
        except KeySetError as error:
            raise RecipientError(f"The key set was refused: {error}") from None
    recipient.key_set = bytes(key_set_blob)
    _add_keys(recipient, candidate)
    db.session.commit()
    return candidate


def _add_keys(recipient: Recipient, key_set: KeySet) -> None:
    """Index the set's keys not yet held, oldest first, so the newest has the top generation."""
    generation = db.session.execute(
        select(func.coalesce(func.max(RecipientKey.generation), 0)).where(
            RecipientKey.recipient_id == recipient.id
        )
    ).scalar_one()
    held = {row.key_id: row for row in recipient.keys}
    for public_key in reversed(key_set.public_keys):
        row = held.get(public_key.key_id) or db.session.get(RecipientKey, public_key.key_id)
        if row is not None and row.recipient_id != recipient.id:
            raise RecipientError("A key in this set is registered to another recipient")
        if row is not None and row.public_key == public_key.to_bytes():
            continue
        generation += 1
        if row is None:
            row = RecipientKey(key_id=public_key.key_id, recipient=recipient)
            db.session.add(row)
        # A row that disagrees with the signed set is rewritten from it.
        row.generation = generation
        row.public_key = public_key.to_bytes()
        row.fingerprint = public_key.fingerprint
    db.session.flush()
    # The newest key must hold the top generation even if it was listed before.
    newest = db.session.get(RecipientKey, key_set.newest.key_id)
    top = max(row.generation for row in recipient.keys)
    if newest is not None and newest.generation != top:
        newest.generation = top + 1


def assign(service: str, name: str) -> None:
    """Send referrals for `service` to the recipient called `name`."""
    if service not in SERVICES:
        raise RecipientError(f"Service must be one of {', '.join(SERVICES)}")
    recipient = db.session.scalar(select(Recipient).where(Recipient.name == name))
    if recipient is None:
        raise RecipientError(f"No recipient called {name!r}")
    route = db.session.get(ServiceRoute, service) or ServiceRoute(service=service)
    route.recipient = recipient
    db.session.add(route)
    db.session.commit()


def route_for(service: str) -> Route | None:
    """The recipient and its vouched newest key for a service; None when nobody receives it.

    Raises KeysNotVouched when a recipient is routed but its keys do not verify.
    """
    route = db.session.get(ServiceRoute, service)
    if route is None:
        return None
    key_set = vouched(route.recipient)
    return Route(recipient_id=route.recipient_id, key=key_set.newest)


def newest_key(recipient_id: str) -> PublicKey | None:
    """The vouched newest key of a given recipient (messages follow the referral's provider).

    Raises KeysNotVouched when the recipient's keys do not verify.
    """
    recipient = db.session.get(Recipient, recipient_id)
    return vouched(recipient).newest if recipient is not None else None


def key_set_of(recipient_id: str) -> bytes | None:
    """The signed key set intake holds for a recipient, exactly as stored (for the console)."""
    recipient = db.session.get(Recipient, recipient_id)
    return bytes(recipient.key_set) if recipient is not None and recipient.key_set else None


def name_of(recipient_id: str) -> str | None:
    recipient = db.session.get(Recipient, recipient_id)
    return recipient.name if recipient is not None else None


# Built once: building this select anew took longer than running it. The newest generation
# is a correlated subquery: a grouped subquery made SQLite build a temporary index on every
# run (40 µs against 24).
_OLDER = aliased(RecipientKey)
_NEWEST_GENERATION = (
    select(func.max(_OLDER.generation))
    .where(_OLDER.recipient_id == Recipient.id)
    .correlate(Recipient)
    .scalar_subquery()
)
_ROUTES_WITH_NEWEST_KEYS = (
    select(ServiceRoute.service, Recipient.name, Recipient.key_set, RecipientKey.public_key)
    .join(Recipient, Recipient.id == ServiceRoute.recipient_id)
    .outerjoin(
        RecipientKey,
        (RecipientKey.recipient_id == Recipient.id)
        & (RecipientKey.generation == _NEWEST_GENERATION),
    )
    .where(ServiceRoute.service.in_(SERVICES))
)


_ROUTES_SQL: dict[str, str] = {}  # dialect name -> _ROUTES_WITH_NEWEST_KEYS as SQL


def _routes_sql(dialect: Dialect) -> str:
    sql = _ROUTES_SQL.get(dialect.name)
    if sql is None:
        # The only values are the service names, constants of the code: safe to inline.
        compiled = _ROUTES_WITH_NEWEST_KEYS.compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}
        )
        sql = _ROUTES_SQL[dialect.name] = str(compiled)
    return sql


def open_services() -> set[str]:
    """Services whose recipient's keys verify (so the form offers only what can be sealed).

    What route_for and vouched check, for every service in one query. The answer is kept
    for OPEN_SERVICES_RECHECK_SECONDS (default 1 s) per worker: reading it took a third of a
    question page's time (docs/benchmarks.md). It only shapes what the form offers; every
    seal still verifies its own key set first, so a service closed a moment ago is refused
    on the check page with nothing stored, as one closed while the person was typing is.
    """
    kept: _Kept | None = current_app.extensions.get(_KEPT)
    fresh_for = float(current_app.config.get("OPEN_SERVICES_RECHECK_SECONDS", 1.0))
    read_at = time.monotonic()
    if kept is not None and read_at - kept.read_at < fresh_for:
        return set(kept.opened)
    # A pooled driver connection of its own, not the request's ORM session, and SQL compiled
    # once per database dialect: the session's setup and teardown and SQLAlchemy's
    # per-execution statement caching and result set-up took three times as long as the
    # query (docs/benchmarks.md). Read only; the pool rolls back on return.
    engine = db.engine
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(_routes_sql(engine.dialect))
        rows = cursor.fetchall()
        cursor.close()
    finally:
        connection.close()
    asked = (rows, [pin_for(name) for _, name, _, _ in rows])
    if kept is not None and kept.asked == asked:
        opened = kept.opened  # the very rows and pins of last time: the same answer
    else:
        opened = frozenset(_verdict(*asked))
    current_app.extensions[_KEPT] = _Kept(read_at, asked, opened)
    return set(opened)


# What open_services last read for this app, when, and its answer: public keys and pins only,
# nothing of any visitor's. While every byte and pin is what it was, the three key sets are
# not verified again (each lookup hashes 7 KB).
_KEPT = "open_services_kept"


@dataclass(frozen=True)
class _Kept:
    read_at: float
    asked: tuple[Sequence[Any], list[str | None]]
    opened: frozenset[str]


def _verdict(rows: Sequence[Any], pins: list[str | None]) -> set[str]:
    opened: set[str] = set()
    refused: set[str] = set()  # two rows tied for newest: open only if both agree
    for (service, _, key_set, newest_key), pin in zip(rows, pins, strict=True):
        try:
            agrees = (
                pin is not None
                and key_set is not None
                and newest_key is not None
                and verify(key_set, pin).newest.to_bytes() == bytes(newest_key)
            )
        except KeySetError:
            agrees = False
        (opened if agrees else refused).add(service)
    return opened - refused
