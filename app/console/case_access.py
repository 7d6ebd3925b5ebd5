"""The one gate in front of every case page: the case exists and its key is granted to you.

A case sealed to a recipient key the advisor holds no grant for (an older or newer key
generation, or a grant the manager revoked) gets a plain "you do not have access" page,
status 403, and the refused attempt is audited. So does a case whose envelope has been
altered or damaged: the key fits but the content does not open.
"""

from __future__ import annotations

from typing import NoReturn

from flask import abort, make_response, render_template

from app.console.access import keyring, signed_in_advisor
from app.console.cases import can_open, refuse, short_reference
from app.console.casework import Keys
from app.extensions import console_db as db
from app.models.console import Advisor, Case


def advisor() -> Advisor:
    """The signed-in advisor; only called behind `advisor_required`, which ensures one."""
    current = signed_in_advisor()
    if current is None:
        abort(403)
    return current


def refusal(case: Case, action: str, *, damaged: bool = False) -> NoReturn:
    """Audit the refused attempt and answer with the plain 403 page."""
    refuse(db.session, advisor(), case, action + (" (does not open)" if damaged else ""))
    page = render_template(
        "console/cases/no_access.html", reference=short_reference(case.id), damaged=damaged
    )
    abort(make_response(page, 403))


def load_case(case_id: str, action: str) -> tuple[Case, Keys]:
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    keys = keyring()
    if not can_open(case, keys):
        refusal(case, action)
    return case, keys
