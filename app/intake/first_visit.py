"""Pages as a newcomer sees them, rendered once per worker process (docs/benchmarks.md).

Rendering a GOV.UK page with its component and form macros costs one to five milliseconds,
ten times what the rest of a request costs. A page that holds nothing of the visitor's (no
answer yet, no error) is the same for everyone but for its one-use values: the CSRF token and
a proof-of-work challenge. So such a page is rendered once, those values are swapped for
placeholders, and each later request fills in its own. Only pages rendered for an empty
session are kept, so no one's answers ever stay in memory after their request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import current_app

EXTENSION = "first_visit_pages"
MAX_PAGES = 256  # pages x open-service combinations is far fewer; a bound all the same


def page(key: Hashable, render: Callable[[], str], **one_use: str) -> str:
    """The page for `key`, rendered by `render` the first time, with this request's values.

    `one_use` names each per-request value (CSRF token, challenge) as it appears in what
    `render` returns; every occurrence becomes a placeholder in the kept copy.
    """
    app = current_app
    if app.debug or app.config.get("TEMPLATES_AUTO_RELOAD"):
        return render()  # template edits must show at once while developing
    pages: dict[Hashable, str] = app.extensions.setdefault(EXTENSION, {})
    full_key = (key, tuple(sorted(one_use)))
    kept = pages.get(full_key)
    if kept is None:
        html = render()
        kept = html
        for name, value in one_use.items():
            kept = kept.replace(value, _placeholder(name))
        if len(pages) < MAX_PAGES:
            pages[full_key] = kept
        return html
    for name, value in one_use.items():
        kept = kept.replace(_placeholder(name), value)
    return kept


def _placeholder(name: str) -> str:
    # Characters no token or escaped text can contain (NUL never reaches a rendered page).
    return f"\x00{name}\x00"
