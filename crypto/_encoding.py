"""Byte-level helpers shared by the binary formats (all integers are big-endian)."""

from __future__ import annotations

import struct

from crypto.errors import DecryptionError

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
U32_MAX = 0xFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF


def u32(value: int) -> bytes:
    """Encode a 4-byte big-endian unsigned integer."""
    return _U32.pack(value)


def u64(value: int) -> bytes:
    """Encode an 8-byte big-endian unsigned integer."""
    return _U64.pack(value)


def lp(data: bytes) -> bytes:
    """Length-prefix `data` (u32) so concatenations of several values stay unambiguous."""
    return u32(len(data)) + data


class Reader:
    """Strict cursor over a blob; any overrun raises DecryptionError (never an IndexError)."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self._pos + n > len(self._data):
            raise DecryptionError
        chunk = self._data[self._pos : self._pos + n]
        self._pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        return int(_U32.unpack(self.take(4))[0])

    def lp(self) -> bytes:
        return self.take(self.u32())

    def rest(self) -> bytes:
        return self.take(len(self._data) - self._pos)

    def end(self) -> None:
        """Refuse trailing bytes: a canonical encoding has exactly one byte form."""
        if self._pos != len(self._data):
            raise DecryptionError
