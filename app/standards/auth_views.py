"""The standards surface's sign-in, setup and sign-out pages: app.accounts.views with the
analysts' store, in the standards layout, under /standards."""

from __future__ import annotations

from flask import url_for

from app.accounts.views import AuthPages, register
from app.standards.access import signed_in_analyst
from app.standards.analysts import STORE
from app.standards.blueprint import bp


def _landing() -> str:
    return url_for(".commissioning_view")


register(
    bp,
    AuthPages(
        store=STORE,
        layout="standards/layout.html",
        contact="the service administrator",
        signed_in=signed_in_analyst,
        landing=_landing,
    ),
)
