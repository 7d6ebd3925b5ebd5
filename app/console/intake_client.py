"""A small JSON client for intake's delivery API (docs/openapi.yaml), standard library only.

Two kinds of failure, because the sync treats them differently (G9):
- `IntakeUnavailable`: the network, a timeout, 429 or a 5xx. Nothing is known to have
  changed; the sync stops and the next run repeats the work.
- `IntakeRefused`: a 4xx answer to this one request. Retrying the same request will not help,
  so the sync notes it and carries on with the next item.
Error texts carry the status and intake's own error code and message (which the API keeps
free of content), never a request body.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT = 15.0
RETRY_LATER = {408, 425, 429}


class IntakeError(Exception):
    """Something went wrong talking to intake."""


class IntakeUnavailable(IntakeError):
    """Intake could not be reached or asked us to come back later."""


class IntakeRefused(IntakeError):
    """Intake answered this request with a 4xx."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"intake refused the request: {status} {code}: {message}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class IntakeClient:
    base_url: str  # e.g. https://intake.example/api/v1
    token: str
    timeout: float = DEFAULT_TIMEOUT

    def get(self, path: str, params: Mapping[str, str | int | None] | None = None) -> Answer:
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return self.request("GET", path + suffix)

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Answer:
        return self.request("POST", path, None if body is None else json.dumps(body))

    def put(self, path: str, body: Mapping[str, Any]) -> Answer:
        return self.request("PUT", path, json.dumps(body))

    def request(self, method: str, path: str, body: str | None = None) -> Answer:
        """Send one request; `path` is relative to the API base (it starts with '/')."""
        if not self.token:
            raise IntakeUnavailable("INTAKE_API_TOKEN is not set, so the console cannot sync")
        url = self.base_url.rstrip("/") + path
        if not url.startswith(("https://", "http://")):  # never file: or a custom scheme
            raise IntakeUnavailable("INTAKE_API_URL must be an http(s) address")
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = body.encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - the URL is configuration
        try:
            # The scheme is checked above; nosec B310 below says so to bandit.
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # nosec B310
                return Answer(response.status, _json(response.read()))
        except urllib.error.HTTPError as error:
            raise _classify(error.code, _json(error.read())) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", error)
            raise IntakeUnavailable(f"intake could not be reached ({reason})") from None


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _classify(status: int, body: dict[str, Any]) -> IntakeError:
    code = str(body.get("error", "error"))
    message = str(body.get("message", ""))[:200]
    if status >= 500 or status in RETRY_LATER:
        return IntakeUnavailable(f"intake answered {status} {code}: {message}")
    return IntakeRefused(status, code, message)


def client_from_config(config: Mapping[str, Any]) -> IntakeClient:
    return IntakeClient(
        base_url=config["INTAKE_API_URL"],
        token=config.get("INTAKE_API_TOKEN", ""),
        timeout=float(config.get("INTAKE_API_TIMEOUT", DEFAULT_TIMEOUT)),
    )
