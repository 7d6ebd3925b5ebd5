"""Logging that never records who or when.

G4: no IP address, user agent, referrer or time of day in any log line. Log records carry
level, logger and message only, the development server logs no request lines, and rate
limits key on one of 65,536 buckets of the address, so no store can name an IP (G10).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import logging.config

from flask import current_app, request
from werkzeug.serving import WSGIRequestHandler

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Install the one log format for the whole process (no asctime, no client fields)."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": LOG_FORMAT}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"level": level, "handlers": ["stderr"]},
            # Werkzeug's request lines start with the client address: silence them.
            # Flask-Limiter logs each breach with its key, a hash of the address that anyone
            # holding SECRET_KEY can reverse by trying every IPv4 address: keep it out too.
            "loggers": {"werkzeug": {"level": "ERROR"}, "flask-limiter": {"level": "WARNING"}},
        }
    )


class QuietRequestHandler(WSGIRequestHandler):
    """Development server handler that writes no access log at all."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: object) -> None:
        if type == "error":
            # Keep the problem, drop the address and time Werkzeug would prepend.
            logging.getLogger("werkzeug").error(message, *args)


BUCKET_BITS = 16  # 2**16 buckets: each holds exactly 2**16 IPv4 addresses (or 2**48 IPv6 /64s)


def anonymous_client_key() -> str:
    """Rate-limit key: the client's bucket, one of 65,536, under a keyed permutation.

    The address (an IPv6 client's /64, which one person controls whole) goes through a keyed
    Feistel permutation and only its top 16 bits are kept. A permutation, not a truncated hash,
    so every bucket holds exactly 2**16 IPv4 addresses: even with SECRET_KEY the key narrows an
    address to no fewer than 65,536 candidates (G10). The limits tolerate the collisions.
    """
    address = client_address_bucket(request.remote_addr or "", current_app.config["SECRET_KEY"])
    return f"b{address:04x}"


def client_address_bucket(address: str, secret: str) -> int:
    """The 16-bit bucket of an address under `secret` (public for the proof in the tests)."""
    value, width = _address_value(address)
    return permute(value, width, permutation_key(secret)) >> (width - BUCKET_BITS)


def _address_value(address: str) -> tuple[int, int]:
    """An IPv4 address as 32 bits, anything else as the 64 bits of its /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return 0, 32  # no usable address (a unix socket): one shared bucket
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if isinstance(parsed, ipaddress.IPv4Address):
        return int(parsed), 32
    return int(parsed) >> 64, 64


def permutation_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"rate-limit bucket permutation v1", hashlib.sha256).digest()


ROUNDS = 4


def permute(value: int, width: int, key: bytes) -> int:
    """A keyed permutation of `width`-bit integers (a balanced Feistel network)."""
    half = width // 2
    mask = (1 << half) - 1
    left, right = value >> half, value & mask
    for round_number in range(ROUNDS):
        left, right = right, left ^ (_round(key, round_number, right, half) & mask)
    return (left << half) | right


def unpermute(value: int, width: int, key: bytes) -> int:
    """The inverse of `permute`: what someone holding the key can compute."""
    half = width // 2
    mask = (1 << half) - 1
    left, right = value >> half, value & mask
    for round_number in reversed(range(ROUNDS)):
        left, right = right ^ (_round(key, round_number, left, half) & mask), left
    return (left << half) | right


def _round(key: bytes, round_number: int, half_value: int, half: int) -> int:
    data = bytes([round_number, half]) + half_value.to_bytes(8, "big")
    return int.from_bytes(hmac.new(key, data, hashlib.sha256).digest()[:8], "big")
