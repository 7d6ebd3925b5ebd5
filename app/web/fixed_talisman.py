"""Flask-Talisman, with each view's headers worked out once per app (docs/benchmarks.md).

Talisman rebuilds its CSP and Permissions-Policy strings from its options on every response,
and looks a view's options up four times a request. Its options are fixed once init_app has
run, and so are a view's own (`@talisman(...)`), so what it writes for a view is the same on
every response except what depends on the request: HSTS (is it https?) and a CSP nonce. Here
Talisman's own code writes a view's headers once, into a scratch list, and each response gets
that list; HSTS is still decided per request by Talisman, and a view with a nonce goes the
whole way each time. Talisman's options stay the one source of every header.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, request
from flask_talisman import Talisman
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response
from werkzeug.wrappers import Response as WerkzeugResponse

OPTIONS = "talisman_view_options"  # app.extensions: endpoint -> Talisman's options for it
HEADERS = "talisman_view_headers"  # app.extensions: endpoint -> the headers it writes
PER_REQUEST = frozenset({"Strict-Transport-Security"})  # Talisman asks the request for these


@dataclass(frozen=True)
class FixedHeaders:
    """Headers every response of a kind gets, written as Headers.set would write them.

    set() scans the response's headers for each name; here they are scanned once, and only a
    name already there is replaced (Headers.set); the rest are added.
    """

    pairs: tuple[tuple[str, str], ...]
    names: frozenset[str]  # lower case

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> FixedHeaders:
        kept = tuple(pairs)
        names = frozenset(name.lower() for name, _ in kept)
        if len(names) != len(kept):
            raise ValueError("each header once: set() would keep only the last")
        return cls(kept, names)

    def write(self, headers: Headers) -> None:
        present = {name.lower() for name, _ in headers.items()}
        if self.names.isdisjoint(present):
            headers.extend(self.pairs)
            return
        for name, value in self.pairs:
            if name.lower() in present:
                headers[name] = value  # replaces every earlier value, as set() does
            else:
                headers.add(name, value)


@dataclass
class _Scratch:
    """What Talisman's header writers touch of a response: its headers, nothing else."""

    headers: Headers = field(default_factory=Headers)


class FixedTalisman(Talisman):  # type: ignore[misc]
    def init_app(self, app: Flask, **options: Any) -> None:
        super().init_app(app, **options)
        # Per app: tests make many apps, and an endpoint's view may differ between them.
        app.extensions[OPTIONS] = {}
        app.extensions[HEADERS] = {}

    def _get_local_options(self) -> dict[str, Any]:
        known: dict[str | None, dict[str, Any]] = current_app.extensions[OPTIONS]
        endpoint = request.endpoint
        options = known.get(endpoint)
        if options is None:
            options = known[endpoint] = super()._get_local_options()
        return options

    def _set_response_headers(self, response: Response) -> Response:
        options = self._get_local_options()
        if options["content_security_policy"] and options["content_security_policy_nonce_in"]:
            return super()._set_response_headers(response)  # type: ignore[no-any-return]
        known: dict[str | None, FixedHeaders] = current_app.extensions[HEADERS]
        fixed = known.get(request.endpoint)
        if fixed is None:
            scratch = _Scratch()
            super()._set_response_headers(scratch)
            fixed = known[request.endpoint] = FixedHeaders.of(
                (name, value) for name, value in scratch.headers.items()
                if name not in PER_REQUEST
            )
        fixed.write(response.headers)
        self._set_hsts_headers(response.headers)
        return response

    def _force_https(self) -> WerkzeugResponse | None:
        # Talisman works out whether the request is secure before it asks whether the view
        # wants https forced; with nothing to force or mark, there is nothing to work out.
        if self.session_cookie_secure or self._get_local_options()["force_https"]:
            return super()._force_https()  # type: ignore[no-any-return]
        return None

