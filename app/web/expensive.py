"""Bounded expensive work (G10): at most N Argon2id derivations at once per worker process.

Each derivation holds ~64 MiB (PHRASE_ARGON2), so N x 64 MiB x workers is the memory the
derivations can ever take (docs/benchmarks.md). A request that finds every slot taken is told
"busy, try again in a minute" at once (503 + Retry-After) instead of queueing without bound.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app

EXTENSION = "argon2_slots"
WAIT_FOR_SLOT_SECONDS = 0.05  # long enough to ride out a slot being handed over, no queue
RETRY_AFTER_SECONDS = 60


class Busy(Exception):
    """Every slot for expensive work is taken: try again in a minute."""


def init_app(app: Flask) -> None:
    slots = int(app.config.get("ARGON2_CONCURRENCY", 2))
    if slots < 1:
        raise ValueError("ARGON2_CONCURRENCY must be at least 1")
    app.extensions[EXTENSION] = threading.BoundedSemaphore(slots)


@contextmanager
def slot() -> Iterator[None]:
    """Hold one of this process's slots for the block, or raise Busy straight away."""
    semaphore: threading.BoundedSemaphore = current_app.extensions[EXTENSION]
    if not semaphore.acquire(timeout=WAIT_FOR_SLOT_SECONDS):
        raise Busy
    try:
        yield
    finally:
        semaphore.release()
