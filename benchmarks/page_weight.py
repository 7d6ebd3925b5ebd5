"""Bytes transferred by each intake page: on a first visit, and as the next page (cache warm).

    .venv/bin/python -m benchmarks.page_weight

Serves the intake under gunicorn with the project's gunicorn.conf.py (as benchmarks/pages.py
does) and fetches each page the way a browser does, with `Accept-Encoding: br, gzip`: the HTML,
then every stylesheet, script and icon it names, and every module those scripts import, each
once. Counted: status line, headers and body as sent (still compressed). A first visit pays for
all of it; the next page pays only for its HTML and anything the browser may not keep
(anything without `immutable`, checked again). Targets (issue 12): under 100 KB on a first
visit, under 15 KB on the next page; tests/intake/test_page_weight.py holds every page to them
through the test client. Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import re
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.pages import PAGES, gunicorn, prepared_intake

FIRST_VISIT_LIMIT = 100 * 1024
NEXT_PAGE_LIMIT = 15 * 1024

# What a page names (stylesheet, module script, icon) and what a module imports.
PAGE_ASSET = re.compile(r"""<(?:link|script)\b[^>]*?\b(?:href|src)="(/static/[^"]+)\"""")
MODULE_IMPORT = re.compile(r"""\b(?:from|import)\s*\(?\s*["'](\./[^"']+)["']""")
STYLE_URL = re.compile(r"""url\(["']?(/static/[^"')]+)["']?\)""")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    head_bytes: int  # status line and headers as sent
    body: bytes  # as sent: still compressed

    @property
    def size(self) -> int:
        return self.head_bytes + len(self.body)


Fetch = Callable[[str], Answer]


@dataclass(frozen=True)
class Weight:
    path: str
    first_visit: int
    next_page: int
    files: int


def referenced(url: str, answer: Answer) -> list[str]:
    """The URLs a browser fetches next because of this answer."""
    encoding = answer.headers.get("content-encoding", "")
    if encoding:  # only our own compressed assets; decode to read what they name
        import gzip

        import brotli  # installed with whitenoise[brotli]

        text = (brotli.decompress(answer.body) if encoding == "br"
                else gzip.decompress(answer.body)).decode()
    else:
        text = answer.body.decode("utf-8", "replace")
    if url.endswith((".js", ".mjs")):
        folder = url.rpartition("/")[0]
        return [f"{folder}/{name[2:]}" for name in MODULE_IMPORT.findall(text)]
    if url.endswith(".css"):
        return STYLE_URL.findall(text)
    return PAGE_ASSET.findall(text)


def page_weight(fetch: Fetch, path: str) -> tuple[int, int, set[str]]:
    """(bytes, number of files, assets the browser keeps) for one page on an empty cache."""
    total = files = 0
    kept: set[str] = set()
    queue, seen = [path], {path}
    while queue:
        url = queue.pop(0)
        answer = fetch(url)
        if answer.status != 200:
            raise RuntimeError(f"{url}: {answer.status}")
        total += answer.size
        files += 1
        if url != path and "immutable" in answer.headers.get("cache-control", ""):
            kept.add(url)
        for following in referenced(url, answer):
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return total, files, kept


def weigh(fetch: Fetch, path: str) -> Weight:
    """First visit to `path`; then `path` as the next page after a visit to the start page."""
    first, files, _ = page_weight(fetch, path)
    _, _, kept = page_weight(fetch, "/")
    later = 0
    queue, seen = [path], {path}
    while queue:
        url = queue.pop(0)
        if url in kept:
            continue
        answer = fetch(url)
        later += answer.size
        for following in referenced(url, answer):
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return Weight(path, first, later, files)


def http_fetch(base: str) -> Fetch:
    def fetch(url: str) -> Answer:
        request = urllib.request.Request(base + url, headers={"Accept-Encoding": "br, gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            head = f"HTTP/1.1 {response.status} {response.reason}\r\n{response.headers}"
            headers = {k.lower(): v for k, v in response.headers.items()}
            return Answer(response.status, headers, len(head.encode()), body)

    return fetch


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        env = prepared_intake(Path(scratch))
        with gunicorn("app:create_intake_app()", env) as base:
            fetch = http_fetch(base)
            print("| page | first visit (bytes) | files | next page (bytes) |")
            print("|---|---|---|---|")
            for path in PAGES:
                weight = weigh(fetch, path)
                print(f"| `{path}` | {weight.first_visit:,} | {weight.files} "
                      f"| {weight.next_page:,} |")


if __name__ == "__main__":
    main()
