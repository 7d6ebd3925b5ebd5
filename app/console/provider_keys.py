"""The provider's recipient keys and its signing key, kept on the console (DESIGN section 4, G2).

A recipient private key is stored only twice over, and never in the clear: as grants sealed
to each authorised advisor's own public key, and as a recovery copy under a random recovery
key that is shown once to the manager to keep offline. Generating, rotating and granting need
the private key in memory for one request; it lives in the manager's session keyring after.

The signing key (crypto.signing) is held the same way: granted to the same advisors, with a
recovery copy under the same recovery key. It signs the list of recipient public keys (a key
set, newest first, with a sequence number that grows at each rotation). Intake seals only to a
set that verifies against this key's fingerprint, pinned in intake's configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, func, select

from app.console.audit import record
from app.extensions import console_db as db
from app.models.console import (
    Advisor,
    KeyGrant,
    KeySetRecord,
    RecipientKeyRecord,
    SigningKeyGrant,
    SigningKeyRecord,
)
from crypto.custody import (
    grant_recipient_key,
    grant_signing_key,
    new_recovery_key,
    open_signing_key_with_recovery,
    open_with_recovery,
    wrap_for_recovery,
    wrap_signing_key_for_recovery,
)
from crypto.errors import DecryptionError
from crypto.key_set import MAX_KEYS, sign_key_set, verify_key_set
from crypto.keys import PrivateKey, PublicKey
from crypto.signing import SigningKey, VerifyKey


class CustodyError(ValueError):
    """A key operation that cannot be done; the message is safe to show."""


@dataclass(frozen=True)
class NewKey:
    """What the manager must see once: the recovery key, and which generations it opens."""

    generation: int
    public: PublicKey
    recovery_key: str
    recovery_opens: tuple[int, ...]
    signing_fingerprint: str = ""
    key_set_sequence: int = 0


def records() -> list[RecipientKeyRecord]:
    return list(
        db.session.scalars(select(RecipientKeyRecord).order_by(RecipientKeyRecord.generation))
    )


def newest() -> RecipientKeyRecord | None:
    found = records()
    return found[-1] if found else None


def holds_grant(advisor: Advisor) -> bool:
    count = db.session.scalar(
        select(func.count(KeyGrant.id)).where(KeyGrant.advisor_id == advisor.id)
    )
    return bool(count)


def _seal_to(advisor: Advisor, key: PrivateKey, granted_by: str) -> None:
    if not advisor.public_key:
        raise CustodyError(f"{advisor.name} has not finished setting up their account")
    sealed = grant_recipient_key(key, PublicKey.from_bytes(advisor.public_key), advisor.id)
    existing = db.session.scalars(
        select(KeyGrant).where(KeyGrant.advisor_id == advisor.id, KeyGrant.key_id == key.key_id)
    ).first()
    if existing is None:
        db.session.add(
            KeyGrant(
                advisor_id=advisor.id, key_id=key.key_id, sealed_key=sealed, granted_by=granted_by
            )
        )
    else:
        existing.sealed_key, existing.granted_by = sealed, granted_by


def _new_generation(manager: Advisor, holders: list[Advisor]) -> tuple[PrivateKey, str, int]:
    current = newest()
    generation = current.generation + 1 if current else 1
    key, recovery = PrivateKey.generate(), new_recovery_key()
    db.session.add(
        RecipientKeyRecord(
            key_id=key.key_id,
            generation=generation,
            public_key=key.public_key.to_bytes(),
            recovery_blob=wrap_for_recovery(key, recovery),
        )
    )
    db.session.flush()
    for advisor in holders:
        _seal_to(advisor, key, manager.id)
    return key, recovery, generation


def create_first_key(manager: Advisor) -> NewKey:
    """Generate the provider key here, on the provider's side, sealed to the manager."""
    if newest() is not None:
        raise CustodyError("The provider key already exists. Rotate it to make a new one")
    key, recovery, generation = _new_generation(manager, [manager])
    signer = SigningKey.generate()
    db.session.add(
        SigningKeyRecord(
            key_id=signer.verify_key.key_id,
            verify_key=signer.verify_key.to_bytes(),
            recovery_blob=wrap_signing_key_for_recovery(signer, recovery),
        )
    )
    db.session.flush()
    _seal_signing_to(manager, signer, manager.id)
    sequence = _sign_current(signer)
    record(
        db.session,
        manager.email,
        "key_created",
        key.key_id,
        f"generation {generation}; signing key {signer.verify_key.key_id}; key set {sequence}",
    )
    return NewKey(
        generation, key.public_key, recovery, (generation,), signer.verify_key.fingerprint, sequence
    )


def rotate(
    manager: Advisor, keyring: Mapping[str, PrivateKey], signer: SigningKey | None = None
) -> NewKey:
    """A new generation for new referrals; old keys stay so old cases still open.

    Everyone who holds the current key gets the new one (sealing needs only their public keys).
    Older generations the manager holds are re-wrapped under the new recovery key, so the
    newest recovery key is the one to keep.
    """
    current = newest()
    if current is None:
        raise CustodyError("There is no provider key to rotate yet")
    if signer is None or signing_record() is None or signer.verify_key.key_id != _signing_id():
        raise CustodyError(
            "You do not hold the provider signing key, which signs the new key for intake"
        )
    holders = list(
        db.session.scalars(select(Advisor).join(KeyGrant).where(KeyGrant.key_id == current.key_id))
    )
    if manager not in holders:
        holders.append(manager)
    key, recovery, generation = _new_generation(manager, holders)
    opens = [generation]
    for old in records():
        if old.key_id in keyring and old.generation != generation:
            old.recovery_blob = wrap_for_recovery(keyring[old.key_id], recovery)
            opens.append(old.generation)
    # The signing key's copy moves to the newest recovery key too: one key to keep.
    signing = signing_record()
    if signing is not None:
        signing.recovery_blob = wrap_signing_key_for_recovery(signer, recovery)
    sequence = _sign_current(signer)
    record(
        db.session,
        manager.email,
        "key_rotated",
        key.key_id,
        f"generation {generation}; sealed to {len(holders)} accounts; key set {sequence}",
    )
    return NewKey(
        generation,
        key.public_key,
        recovery,
        tuple(sorted(opens)),
        signer.verify_key.fingerprint,
        sequence,
    )


def grant_access(
    manager: Advisor,
    advisor: Advisor,
    keyring: Mapping[str, PrivateKey],
    signer: SigningKey | None = None,
) -> int:
    """Seal every recipient key (and the signing key) the manager holds to the advisor.

    Returns how many recipient keys.
    """
    if not advisor.active:
        raise CustodyError(f"{advisor.name}'s account is deactivated")
    if not advisor.public_key or advisor.invite_hash is not None:
        raise CustodyError(f"{advisor.name} has not finished setting up their account")
    if not keyring:
        raise CustodyError("You do not hold any provider key to grant")
    for key in keyring.values():
        _seal_to(advisor, key, manager.id)
    if signer is not None and signer.verify_key.key_id == _signing_id():
        _seal_signing_to(advisor, signer, manager.id)
    generations = sorted(r.generation for r in records() if r.key_id in keyring)
    record(
        db.session,
        manager.email,
        "grant",
        advisor.email,
        "generations " + ", ".join(map(str, generations)),
    )
    return len(keyring)


def revoke_access(advisor: Advisor, actor: str) -> int:
    """Delete the advisor's grants: their keyring is empty from their next request on."""
    # A DELETE gives a CursorResult, which has the rowcount; execute() is typed as Result.
    removed = cast(
        CursorResult[Any],
        db.session.execute(delete(KeyGrant).where(KeyGrant.advisor_id == advisor.id)),
    )
    db.session.execute(delete(SigningKeyGrant).where(SigningKeyGrant.advisor_id == advisor.id))
    record(db.session, actor, "revoke", advisor.email, f"{removed.rowcount} grants removed")
    return int(removed.rowcount)


def recover_access(advisor: Advisor, recovery_key: str, actor: str) -> list[int]:
    """Open recovery copies with the offline recovery key and grant them to `advisor`.

    A mistyped key raises RecoveryKeyError (with a message saying so); a well-formed key that
    opens nothing raises CustodyError.
    """
    if not advisor.active or not advisor.public_key or advisor.invite_hash is not None:
        raise CustodyError(f"{advisor.email} must finish setting up their account first")
    opened = []
    for stored in records():
        try:
            key = open_with_recovery(stored.recovery_blob, recovery_key, stored.key_id)
        except DecryptionError:
            continue  # another generation's recovery key
        _seal_to(advisor, key, "recovery")
        opened.append(stored.generation)
    if not opened:
        raise CustodyError("This recovery key does not open any provider key")
    signing = signing_record()
    if signing is not None:
        try:
            signer = open_signing_key_with_recovery(
                signing.recovery_blob, recovery_key, signing.key_id
            )
        except DecryptionError:
            pass  # an older recovery key: the signing key moved to the newest one
        else:
            _seal_signing_to(advisor, signer, "recovery")
    record(
        db.session,
        actor,
        "recovery",
        advisor.email,
        "generations " + ", ".join(map(str, opened)),
    )
    return opened


# --- the signing key and the key sets it signs ----------------------------------------------


def signing_record() -> SigningKeyRecord | None:
    query = select(SigningKeyRecord).order_by(SigningKeyRecord.created_at)
    return db.session.scalars(query).first()


def _signing_id() -> str | None:
    found = signing_record()
    return found.key_id if found else None


def verify_key() -> VerifyKey | None:
    """The provider's public signing key (what intake pins by fingerprint), if made yet."""
    found = signing_record()
    return VerifyKey.from_bytes(found.verify_key) if found else None


def _seal_signing_to(advisor: Advisor, signer: SigningKey, granted_by: str) -> None:
    if not advisor.public_key:
        raise CustodyError(f"{advisor.name} has not finished setting up their account")
    key_id = signer.verify_key.key_id
    sealed = grant_signing_key(signer, PublicKey.from_bytes(advisor.public_key), advisor.id)
    existing = db.session.scalars(
        select(SigningKeyGrant).where(
            SigningKeyGrant.advisor_id == advisor.id, SigningKeyGrant.key_id == key_id
        )
    ).first()
    if existing is None:
        db.session.add(
            SigningKeyGrant(
                advisor_id=advisor.id, key_id=key_id, sealed_key=sealed, granted_by=granted_by
            )
        )
    else:
        existing.sealed_key, existing.granted_by = sealed, granted_by


def current_key_set() -> KeySetRecord | None:
    """The newest signed key set: what intake must be sealing to."""
    return db.session.scalars(
        select(KeySetRecord).order_by(KeySetRecord.sequence.desc()).limit(1)
    ).first()


def provider_key_ids() -> set[str]:
    """Every recipient key id this provider holds: an envelope sealed to any other is refused."""
    return set(db.session.scalars(select(RecipientKeyRecord.key_id)))


def _sign_current(signer: SigningKey) -> int:
    """Sign the recipient public keys, newest first, as the next key set; returns its number."""
    newest_first = list(reversed(records()))[:MAX_KEYS]
    current = current_key_set()
    sequence = current.sequence + 1 if current else 1
    issued = date.today()
    blob = sign_key_set(
        signer,
        provider=str(current_app.config["PROVIDER_NAME"]),
        sequence=sequence,
        issued=issued,
        public_keys=[PublicKey.from_bytes(r.public_key) for r in newest_first],
    )
    # The digest comes from the one parser intake uses too.
    digest = verify_key_set(blob, signer.verify_key.fingerprint).digest
    db.session.add(KeySetRecord(sequence=sequence, blob=blob, digest=digest, issued_on=issued))
    db.session.flush()
    return sequence
