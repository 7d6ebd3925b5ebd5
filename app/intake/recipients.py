"""Recipients at intake: public keys only, and which recipient serves which service.

The provider generates its key pair on its own side and hands intake the public key file;
the fingerprint printed here is read aloud to the provider to check it arrived unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import intake_db as db
from app.models.intake import SERVICES, Recipient, RecipientKey, ServiceRoute
from crypto.keys import PublicKey


class RecipientError(ValueError):
    """A recipient operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class Route:
    recipient_id: str
    key: PublicKey


def register(name: str, public_key: PublicKey) -> RecipientKey:
    """Add a recipient with its first public key."""
    if db.session.scalar(select(Recipient).where(Recipient.name == name)):
        raise RecipientError(f"A recipient called {name!r} already exists; use rotate-key")
    recipient = Recipient(name=name)
    db.session.add(recipient)
    db.session.flush()
    return _add_key(recipient, public_key)


def rotate(name: str, public_key: PublicKey) -> RecipientKey:
    """Add a newer key; new referrals use it, old ones stay sealed to the old key."""
    recipient = db.session.scalar(select(Recipient).where(Recipient.name == name))
    if recipient is None:
        raise RecipientError(f"No recipient called {name!r}")
    return _add_key(recipient, public_key)


def _add_key(recipient: Recipient, public_key: PublicKey) -> RecipientKey:
    if db.session.get(RecipientKey, public_key.key_id):
        raise RecipientError("That public key is already registered")
    generation = db.session.scalar(
        select(func.coalesce(func.max(RecipientKey.generation), 0)).where(
            RecipientKey.recipient_id == recipient.id
        )
    )
    key = RecipientKey(
        key_id=public_key.key_id,
        recipient=recipient,
        generation=generation + 1,
        public_key=public_key.to_bytes(),
        fingerprint=public_key.fingerprint,
    )
    db.session.add(key)
    db.session.commit()
    return key


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
    """The recipient and newest key for a service, or None when nobody receives it."""
    route = db.session.get(ServiceRoute, service)
    if route is None or not route.recipient.keys:
        return None
    newest = route.recipient.keys[-1]
    return Route(recipient_id=route.recipient_id, key=PublicKey.from_bytes(newest.public_key))


def newest_key(recipient_id: str) -> PublicKey | None:
    """The newest key of a given recipient (messages follow the referral's own provider)."""
    key = db.session.scalars(
        select(RecipientKey)
        .where(RecipientKey.recipient_id == recipient_id)
        .order_by(RecipientKey.generation.desc())
        .limit(1)
    ).first()
    return PublicKey.from_bytes(key.public_key) if key else None


def open_services() -> set[str]:
    return {service for service in SERVICES if route_for(service) is not None}
