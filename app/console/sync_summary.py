"""What one sync run did, and how a run ends early without losing anything."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from app.extensions import console_db as db

log = logging.getLogger("app.console.sync")


@dataclass(frozen=True)
class Refusal:
    """Something intake sent that the console would not act on. Content-free: the case id,
    what kind of thing it was and why; audited and shown on the sync page (G9)."""

    case_id: str
    kind: str  # "withdrawal", "referral date", ...
    reason: str


@dataclass
class SyncSummary:
    new_cases: int = 0
    new_messages: int = 0
    withdrawals: int = 0
    pushed: int = 0  # replies and workflow dates intake accepted
    errors: list[str] = field(default_factory=list)  # content-free: kinds and statuses only
    refused: list[Refusal] = field(default_factory=list)  # impossible or forged events
    # Intake sealing to keys that are not the provider's (app/console/key_watch.py).
    key_alarms: list[str] = field(default_factory=list)
    skipped: bool = False  # another sync was already running

    def counts(self) -> dict[str, int]:
        return {
            "new_cases": self.new_cases,
            "new_messages": self.new_messages,
            "withdrawals": self.withdrawals,
            "pushed": self.pushed,
            "errors": len(self.errors),
            "refused": len(self.refused),
            "key_alarms": len(self.key_alarms),
        }

    def describe(self) -> str:
        if self.skipped:
            return "Another sync is already running; nothing was done."
        said = (
            f"{_plural(self.new_cases, 'new case')}, {_plural(self.new_messages, 'new message')}, "
            f"{_plural(self.withdrawals, 'withdrawal')}, {_plural(self.pushed, 'update')} "
            "sent to intake."
        )
        if self.refused:
            said += f" Refused {_plural(len(self.refused), 'event')} from intake: see below."
        if self.errors:
            said += f" {_plural(len(self.errors), 'problem')}: " + "; ".join(self.errors[:3])
        return said


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class Stop(Exception):
    """Intake or the console database is unavailable: end this run, the next one resumes."""


@contextmanager
def database(summary: SyncSummary, doing: str) -> Iterator[None]:
    """A console database failure ends the run; nothing uncommitted was confirmed to intake."""
    try:
        yield
    except SQLAlchemyError as error:
        db.session.rollback()
        summary.errors.append(f"console database error while {doing} ({type(error).__name__})")
        raise Stop from None
