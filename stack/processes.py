"""Start, watch and stop the stack's gunicorn instances.

Each instance runs in its own process group, so stopping it (or a test's clean-up) ends the
master and every worker it forked, whatever state it is in.
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def start_instance(
    name: str, target: str, port: int, env: dict[str, str], directory: Path, workers: int
) -> int:
    """Start gunicorn serving `target` over TLS on 127.0.0.1:`port`; returns the master's pid."""
    log = (directory / f"{name}.log").open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"),
            "--certfile", str(directory / "cert.pem"), "--keyfile", str(directory / "key.pem"),
            # One control socket per user by default: several instances would fight over it.
            "--no-control-socket",
            target,
        ],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    log.close()
    return process.pid


def tls_context(directory: Path) -> ssl.SSLContext:
    """A client context that trusts the stack's own certificate (and nothing else)."""
    return ssl.create_default_context(cafile=str(directory / "cert.pem"))


def ready(url: str, context: ssl.SSLContext) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5, context=context) as answer:  # noqa: S310
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(url: str, context: ssl.SSLContext, pid: int, seconds: float = 120) -> None:
    """Poll /readyz until it answers 200; generous, as a loaded 2-core machine is slow."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready(url, context):
            return
        if not alive(pid):
            raise RuntimeError(f"{url} exited before it was ready (see its log)")
        time.sleep(0.5)
    raise RuntimeError(f"{url} was not ready within {seconds:.0f} s")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not serving.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def workers_of(pid: int) -> list[int]:
    """The pids of a gunicorn master's workers (its children)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def stop_instance(pid: int, grace: float = 15) -> None:
    """SIGTERM the instance's process group, then SIGKILL whatever is left after `grace`."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not alive(pid):
            break
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> None:
    """Collect the exit of an instance this process started (no zombie left behind)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
