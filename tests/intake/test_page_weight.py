"""Every intake page stays light: under 100 KB on a first visit, under 15 KB as the next page.

Sizes, not timings: the bytes the app sends a browser that accepts brotli, the page and every
asset it names (benchmarks/page_weight.py walks them; it prints the same figures over real HTTP).
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from benchmarks.page_weight import (
    FIRST_VISIT_LIMIT,
    NEXT_PAGE_LIMIT,
    Answer,
    Fetch,
    page_weight,
    weigh,
)
from benchmarks.pages import PAGES
from crypto.keys import PrivateKey


def cookieless_fetch(client: FlaskClient) -> Fetch:
    def fetch(url: str) -> Answer:
        # A new client each time: cookie-less, as a first visitor and benchmarks/pages.py are.
        fresh = client.application.test_client()
        response = fresh.get(url, headers={"Accept-Encoding": "br, gzip"})
        head = f"HTTP/1.1 {response.status}\r\n{response.headers}"
        headers = {name.lower(): value for name, value in response.headers.items()}
        return Answer(response.status_code, headers, len(head.encode()), response.get_data())

    return fetch


@pytest.mark.parametrize("path", PAGES)
def test_every_intake_page_is_light_on_a_first_visit_and_as_the_next_page(
    client: FlaskClient, provider_key: PrivateKey, path: str
) -> None:
    weight = weigh(cookieless_fetch(client), path)
    assert weight.first_visit < FIRST_VISIT_LIMIT, weight
    assert weight.next_page < NEXT_PAGE_LIMIT, weight


def test_the_stylesheet_and_scripts_are_sent_compressed_and_kept_for_good(
    client: FlaskClient, provider_key: PrivateKey
) -> None:
    fetch = cookieless_fetch(client)
    _, files, kept = page_weight(fetch, "/")
    assert files >= 5  # the page, its icon, stylesheet, entry module and what that imports
    assert len(kept) == files - 1, kept  # everything but the page itself
    for url in kept:
        answer = fetch(url)
        assert "immutable" in answer.headers["cache-control"]
        if url.endswith((".css", ".js", ".mjs")):
            assert answer.headers.get("content-encoding") == "br", url


def test_an_asset_asked_for_by_its_plain_name_is_not_kept_for_good(client: FlaskClient) -> None:
    """So a page naming it so would pay for it again as the next page: the limit can fail."""
    fetch = cookieless_fetch(client)
    plain = fetch("/static/dist/application.css")
    assert "immutable" not in plain.headers["cache-control"]
    assert plain.size > 5 * 1024
