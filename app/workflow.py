"""The workflow vocabulary, written once (DESIGN sections 1, 6 and 7).

Both deployments speak it: intake stores a referral's status and workflow dates in clear
(G4: dates only), the provider console records them against a case, the delivery API carries
them between the two, and the statistical return and the standards tables count them.
"""

from __future__ import annotations

from dataclasses import dataclass

# The services a referrer can ask for, with the short names staff see.
SERVICES = {
    "idva": "IDVA",
    "isva": "ISVA",
    "not_sure": "Not sure",
}

# A referral at intake moves forward only: a corrected earlier date never reopens it.
REFERRAL_STATUSES = ("received", "delivered", "with_advisor", "closed", "withdrawn")
STATUS_ORDER = ("received", "delivered", "with_advisor", "closed")
FINISHED = ("closed", "withdrawn")


@dataclass(frozen=True)
class Event:
    """A content-free workflow event: its name on the API, the date column it sets, and
    the words staff see for it ("what happened" on a form, a heading in a case's history)."""

    name: str
    column: str
    heading: str
    happened: str


EVENTS = {
    event.name: event
    for event in (
        Event("acknowledged", "acknowledged_on", "Acknowledged", "The referral was acknowledged"),
        Event(
            "first_contact_attempted",
            "first_contact_on",
            "First contact attempted",
            "A first contact was attempted",
        ),
        Event("contact_made", "contact_made_on", "Contact made", "Contact was made"),
        Event("closed", "closed_on", "Closed", "The case was closed"),
    )
}
# A first reply to someone with no contact details is dated as this event (console casework).
FIRST_CONTACT = "first_contact_attempted"
# The events an advisor records before closing (closing has its own form, with a reason).
PROGRESS_EVENTS = tuple(name for name in EVENTS if name != "closed")

CLOSURE_REASONS = {
    "support_completed": "Support completed",
    "no_contact_possible": "No contact was possible",
    "declined": "Support was declined",
    "referred_on": "Referred on to another service",
    "withdrawn": "The referral was withdrawn",
    "other": "Another reason",
}


def event_column(event: str) -> str:
    """The date column an event sets; KeyError for an event that does not exist."""
    return EVENTS[event].column

# Closings after which no service was taken up, or the referrer could not be reached: the
# console keeps these cases for shorter periods (app/console/retention.py).
NO_SERVICE_REASONS = ("declined", "withdrawn")
UNREACHABLE_REASONS = ("no_contact_possible",)
