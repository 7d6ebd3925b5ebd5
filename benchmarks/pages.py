"""Requests per second of each intake page against a bare Flask route sending the same bytes.

    .venv/bin/python -m benchmarks.pages [--seconds 5] [--clients 4] [--rounds 2]

Both run under gunicorn with the project's gunicorn.conf.py (2 workers) on one SQLite file,
with a provider registered so every service is open. Each page is fetched the way a first-time
visitor fetches it: no cookie, a new connection per request (gunicorn's sync workers close
each one). The bare app (benchmarks/bare_route.py) answers the same path with the bytes the
intake sent, so the difference is what the service does per request. Intake and bare runs
alternate, page by page, `--rounds` times, and the best round of each is printed, so that other
work on the machine hurts both sides alike. Beside requests/s it prints the server's CPU per
request: the gunicorn master's and its workers' CPU time over the same runs, restarted workers
included (/proc), which the clients sharing the machine's cores do not blur. Record the figures
in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = (
    "/",
    "/referral/service",
    "/referral/what-happened",
    "/privacy",
    "/safety",
    "/accessibility",
    "/return",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepared_intake(directory: Path) -> dict[str, str]:
    """An intake database with one provider open for every service; the env to serve it."""
    from app import create_intake_app
    from app.extensions import intake_db
    from app.intake import recipients
    from crypto.key_set import sign_key_set
    from crypto.keys import PrivateKey
    from crypto.signing import SigningKey

    database = f"sqlite:///{directory / 'intake.sqlite'}"
    signer = SigningKey.generate()
    pins = {"Benchmark advisors": signer.verify_key.fingerprint}
    app = create_intake_app({"SQLALCHEMY_DATABASE_URI": database, "PINNED_PROVIDER_KEYS": pins})
    with app.app_context():
        intake_db.create_all()
        key_set = sign_key_set(
            signer,
            provider="Benchmark advisors",
            sequence=1,
            issued=__import__("datetime").date.today(),
            public_keys=[PrivateKey.generate().public_key],
        )
        recipients.register("Benchmark advisors", key_set)
        for service in ("idva", "isva", "not_sure"):
            recipients.assign(service, "Benchmark advisors")
        intake_db.engine.dispose()
    return {
        "DATABASE_URL": database,
        "SAFE_REFERRAL_INSTANCE": str(directory),
        "PINNED_PROVIDER_KEYS": f"Benchmark advisors={signer.verify_key.fingerprint}",
    }


def server_cpu_seconds(master: int) -> float:
    """CPU time of a gunicorn master and its workers so far, workers already gone included."""
    def times(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0  # a worker that has just exited: its time moves to the master's
        return sum(int(f) for f in fields[11:15])  # utime, stime, and waited-for children's

    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return (times(master) + sum(times(int(pid)) for pid in workers)) / os.sysconf("SC_CLK_TCK")


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """gunicorn with the project's configuration on a free port; yields its URL and pid."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", app_spec],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(base + "/", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # it answers (the bare app knows only the pages asked for)
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{app_spec} did not start")
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def _client(args: tuple[int, str, float]) -> tuple[int, int]:
    """Fetch `path` on a new connection each time until the deadline; (good, other) counts."""
    port, path, until = args
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    good = other = 0
    while time.monotonic() < until:
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(request)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        if b"".join(chunks[:1]).startswith(b"HTTP/1.1 200"):
            good += 1
        else:
            other += 1
    return good, other


def requests_per_second(pool: multiprocessing.pool.Pool, server: tuple[str, int], path: str,
                        clients: int, seconds: float) -> tuple[float, float]:
    """(requests/s, server CPU µs per request) for `path` over `seconds`."""
    base, master = server
    port = int(base.rsplit(":", 1)[1])
    until = time.monotonic() + seconds
    started, cpu = time.monotonic(), server_cpu_seconds(master)
    counts = pool.map(_client, [(port, path, until)] * clients)
    elapsed, cpu = time.monotonic() - started, server_cpu_seconds(master) - cpu
    good = sum(c[0] for c in counts)
    if any(c[1] for c in counts):
        raise RuntimeError(f"{path}: {sum(c[1] for c in counts)} answers were not 200")
    return good / elapsed, cpu / good * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated paths")
    options = parser.parse_args()
    pages = options.pages.split(",")

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        env = prepared_intake(directory)
        bodies = directory / "bare"
        bodies.mkdir()
        with gunicorn("app:create_intake_app()", env) as intake:
            index = {}
            for number, path in enumerate(pages):
                with urllib.request.urlopen(intake[0] + path) as answer:
                    (bodies / f"{number}.html").write_bytes(answer.read())
                index[path] = f"{number}.html"
            (bodies / "index.json").write_text(json.dumps(index))
            with (
                gunicorn("benchmarks.bare_route:create_app()", {"BARE_PAGES": str(bodies)}) as bare,
                multiprocessing.Pool(options.clients) as pool,
            ):
                best: dict[tuple[str, str], float] = {}
                least_cpu: dict[tuple[str, str], float] = {}
                for _ in range(options.rounds):
                    for path in pages:
                        for name, server in (("intake", intake), ("bare", bare)):
                            rate, cpu = requests_per_second(pool, server, path, options.clients,
                                                            options.seconds)
                            best[name, path] = max(best.get((name, path), 0.0), rate)
                            least_cpu[name, path] = min(least_cpu.get((name, path), cpu), cpu)
        print(f"| page | intake requests/s | bare Flask | ratio | intake server CPU µs/request "
              f"| bare | ratio |  ({options.clients} clients, {options.seconds:g} s, "
              f"best of {options.rounds})")
        print("|---|---|---|---|---|---|---|")
        for path in pages:
            ours, theirs = best["intake", path], best["bare", path]
            our_cpu, their_cpu = least_cpu["intake", path], least_cpu["bare", path]
            print(f"| `{path}` | {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f} "
                  f"| {our_cpu:,.0f} | {their_cpu:,.0f} | {their_cpu / our_cpu:.2f} |")


if __name__ == "__main__":
    main()
