"""A burst of phrase lookups against a real server: memory, 503s, a bystander's latency (G10).

    .venv/bin/python -m benchmarks.front_door [--lookups 40] [--concurrency 2]

Serves the intake with Werkzeug in threads (one worker process, as each gunicorn worker is),
with production's Argon2id cost (t=3, 64 MiB, p=4), and fires N lookups at once from N
sessions, each paying its proof of work first, while a bystander loads the start page.
tests/intake/test_fair_front_door.py uses `lookups_at_once` and asserts only the ceiling
and the 503s; this prints the figures recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import itertools
import re
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CHALLENGE = re.compile(r'name="proof_challenge" value="([^"]+)" data-proof-of-work-bits="(\d+)"')


@dataclass
class Burst:
    statuses: list[int] = field(default_factory=list)
    busy_retry_after: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    bystander_seconds: list[float] = field(default_factory=list)
    baseline_rss: int = 0
    peak_rss: int = 0


def _solve(token: str, bits: int) -> str:
    for counter in itertools.count():
        digest = hashlib.sha256(f"{token}:{counter}".encode()).digest()
        if int.from_bytes(digest, "big") >> (256 - bits) == 0:
            return str(counter)
    raise AssertionError("unreachable")


def _opener(address: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    opener.addheaders = [("X-Forwarded-For", address)]
    return opener


def lookups_at_once(
    base_url: str, lookups: int, phrase: str, rss: Callable[[], int]
) -> Burst:
    """`lookups` sessions each fetch /return and pay, then all post their phrase at once."""
    burst = Burst()
    ready = []
    for number in range(lookups):
        opener = _opener(f"192.0.2.{number + 1}")
        page = opener.open(f"{base_url}/return").read().decode()
        challenge = CHALLENGE.search(page)
        assert challenge, page[:500]
        body = urllib.parse.urlencode(
            {
                "phrase": phrase,
                "csrf_token": CSRF.search(page)[1],  # type: ignore[index]
                "proof_challenge": challenge[1],
                "proof": _solve(challenge[1], int(challenge[2])),
            }
        ).encode()
        ready.append((opener, body))
    start = threading.Barrier(lookups + 1)
    lock = threading.Lock()
    done = threading.Event()

    def lookup(opener: urllib.request.OpenerDirector, body: bytes) -> None:
        start.wait()
        began = time.perf_counter()
        try:
            response = opener.open(f"{base_url}/return", data=body, timeout=120)
            status, after = response.status, None
        except urllib.error.HTTPError as error:
            status, after = error.code, error.headers.get("Retry-After")
        with lock:
            burst.statuses.append(status)
            burst.seconds.append(time.perf_counter() - began)
            if status == 503:
                burst.busy_retry_after.append(str(after))

    def sample() -> None:
        while not done.is_set():
            burst.peak_rss = max(burst.peak_rss, rss())
            time.sleep(0.002)

    def bystander() -> None:
        opener = _opener("198.51.100.99")
        while not done.is_set():
            began = time.perf_counter()
            opener.open(f"{base_url}/").read()
            burst.bystander_seconds.append(time.perf_counter() - began)
            time.sleep(0.02)

    burst.baseline_rss = burst.peak_rss = rss()
    threads = [threading.Thread(target=lookup, args=each) for each in ready]
    helpers = [threading.Thread(target=sample), threading.Thread(target=bystander)]
    for thread in threads + helpers:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    done.set()
    for thread in helpers:
        thread.join()
    return burst


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lookups", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    from werkzeug.serving import make_server

    from app import create_intake_app
    from app.extensions import intake_db
    from app.web.privacy_logging import QuietRequestHandler
    from crypto.keyfile import Argon2Params

    with tempfile.TemporaryDirectory() as folder:
        app = create_intake_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/intake.sqlite",
                "PHRASE_ARGON2": Argon2Params(time_cost=3, memory_kib=65536, parallelism=4),
                "ARGON2_CONCURRENCY": args.concurrency,
                "TRUSTED_PROXIES": 1,
                "RATELIMIT_ENABLED": True,
            }
        )
        with app.app_context():
            intake_db.create_all()
        server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        quiet = _opener("198.51.100.98")
        idle = []
        for _ in range(50):
            began = time.perf_counter()
            quiet.open(f"{base_url}/").read()
            idle.append(time.perf_counter() - began)
        burst = lookups_at_once(
            base_url, args.lookups, "abandon ability able about above absent absorb abstract", _rss
        )
        server.shutdown()

    mib = 2**20
    answered = [s for s, code in zip(burst.seconds, burst.statuses, strict=True) if code == 200]
    busy = [s for s, code in zip(burst.seconds, burst.statuses, strict=True) if code == 503]
    print(f"lookups at once: {args.lookups}; ARGON2_CONCURRENCY: {args.concurrency}")
    print(f"answered 200: {len(answered)}; busy 503: {len(busy)} "
          f"(Retry-After {set(burst.busy_retry_after)})")
    print(f"RSS before: {burst.baseline_rss / mib:.0f} MiB; peak: {burst.peak_rss / mib:.0f} MiB; "
          f"rise {(burst.peak_rss - burst.baseline_rss) / mib:.0f} MiB "
          f"(ceiling {args.concurrency * 64} MiB)")
    if answered:
        print(f"answered lookup: median {statistics.median(answered):.3f} s, "
              f"max {max(answered):.3f} s")
    if busy:
        print(f"busy answer: median {statistics.median(busy):.3f} s, max {max(busy):.3f} s")
    print(f"bystander start page idle: median {statistics.median(idle) * 1000:.1f} ms")
    if burst.bystander_seconds:
        print(f"bystander start page during the burst: median "
              f"{statistics.median(burst.bystander_seconds) * 1000:.1f} ms, "
              f"max {max(burst.bystander_seconds) * 1000:.1f} ms "
              f"({len(burst.bystander_seconds)} loads)")


if __name__ == "__main__":
    main()
