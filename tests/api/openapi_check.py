"""Hold every delivery-API response in the tests to docs/openapi.yaml.

The document is validated as OpenAPI 3.1 once; each response is then matched to its path
template, method and status (or `default`), and its body validated with jsonschema against
the documented schema (OpenAPI 3.1 schemas are JSON Schema 2020-12). `$ref`s resolve through
a `referencing` Registry that holds the whole document under one URI.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
URI = "urn:safe-referral:openapi"
PREFIX = "/api/v1"


@cache
def spec() -> dict[str, Any]:
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    validate_spec(document)
    return document


@cache
def registry() -> Registry:
    return Registry().with_resource(
        URI, Resource.from_contents(spec(), default_specification=DRAFT202012)
    )


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": URI + pointer},
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _template(path: str) -> str | None:
    for template in spec()["paths"]:
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", template)
        )
        if re.fullmatch(pattern, path):
            return template
    return None


def _follow(obj: dict[str, Any]) -> dict[str, Any]:
    """A response object, following one local $ref into components/responses."""
    if "$ref" in obj:
        *_, section, name = obj["$ref"].split("/")
        return spec()["components"][section][name]
    return obj


def check(method: str, url: str, response: TestResponse) -> None:
    """Fail unless `response` is exactly what the document promises for this request."""
    assert "Set-Cookie" not in response.headers, "the API must never set a cookie"
    assert "no-store" in response.headers.get("Cache-Control", "")
    path = url.split("?", 1)[0].removeprefix(PREFIX)
    template = _template(path)
    status = str(response.status_code)
    if template is None or method.lower() not in spec()["paths"][template]:
        # No route: the app still answers with the documented error shape.
        assert status in ("404", "405"), (method, url, status)
        pointer, media = _pointer("components", "schemas", "Error"), "application/json"
    else:
        responses = spec()["paths"][template][method.lower()]["responses"]
        key = status if status in responses else "default"
        assert key in responses, f"{method} {template} does not document {status}"
        assert key != "default" or not status.startswith("2"), "success must be documented"
        (media,) = _follow(responses[key])["content"]
        if "$ref" in responses[key]:
            name = responses[key]["$ref"].rsplit("/", 1)[-1]
            pointer = _pointer("components", "responses", name, "content", media, "schema")
        else:
            pointer = _pointer("paths", template, method.lower(), "responses", key, "content",
                               media, "schema")
    assert response.mimetype == media, (response.mimetype, media)
    if status == "401":
        assert response.headers.get("WWW-Authenticate") == "Bearer"
    body = response.get_json() if media == "application/json" else response.get_data(as_text=True)
    errors = sorted(validator(pointer).iter_errors(body), key=str)
    assert not errors, f"{method} {url} {status}: {errors[0].message}"
