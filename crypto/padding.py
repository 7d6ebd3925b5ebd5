"""Length hiding: plaintexts are padded to a fixed bucket before encryption.

padded = u32_be(len(data)) || data || zero bytes, total length = the smallest bucket that fits.
"""

from __future__ import annotations

import struct

from crypto.errors import CryptoError, DecryptionError

BUCKETS = (256, 1024, 4096, 16384, 65536)
LENGTH_PREFIX_SIZE = 4
MAX_PLAINTEXT = BUCKETS[-1] - LENGTH_PREFIX_SIZE


def bucket_for(length: int) -> int:
    """The padded size for a plaintext of `length` bytes."""
    for bucket in BUCKETS:
        if length + LENGTH_PREFIX_SIZE <= bucket:
            return bucket
    raise CryptoError(
        f"text of {length} bytes is too long to seal; the limit is {MAX_PLAINTEXT} bytes"
    )


def pad(data: bytes) -> bytes:
    bucket = bucket_for(len(data))
    return struct.pack(">I", len(data)) + data + bytes(bucket - LENGTH_PREFIX_SIZE - len(data))


def unpad(padded: bytes) -> bytes:
    """Strict inverse of `pad` (any bucket that fits is accepted); else DecryptionError."""
    if len(padded) not in BUCKETS:
        raise DecryptionError
    (length,) = struct.unpack(">I", padded[:LENGTH_PREFIX_SIZE])
    end = LENGTH_PREFIX_SIZE + length
    if end > len(padded) or any(padded[end:]):
        raise DecryptionError
    return padded[LENGTH_PREFIX_SIZE:end]
