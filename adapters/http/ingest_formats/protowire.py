"""A minimal reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/).

Remote write has no official Python package, and generating classes would bring a
build step for four small messages; the wire format is simple enough to read by hand,
and doing so lets every malformation surface as one clear ``MalformedPayload`` with the
path of the message that broke. Nothing is copied while walking: fields are yielded as
offsets into the one buffer, and only the strings and numbers the caller asks for are
materialised. Unknown fields are skipped, as protobuf requires for forward
compatibility.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from adapters.http.ingest_formats.errors import MalformedPayload

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5
_U64 = (1 << 64) - 1
_DOUBLE = struct.Struct("<d")
_WIRE_NAMES = {VARINT: "varint", I64: "64-bit", LEN: "length-delimited", I32: "32-bit"}


def _bad(message: str, where: str) -> MalformedPayload:
    return MalformedPayload("protobuf", f"{where}: {message}", field=where)


def read_varint(data: bytes, pos: int, end: int, where: str) -> tuple[int, int]:
    """Decode a base-128 varint at ``pos``; returns (value as uint64, next position)."""
    if pos >= end:
        raise _bad("truncated varint", where)
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    result = b & 0x7F
    shift = 7
    pos += 1
    while True:
        if pos >= end:
            raise _bad("truncated varint", where)
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & _U64, pos
        shift += 7
        if shift >= 70:
            raise _bad("varint longer than 10 bytes", where)


def fields(data: bytes, start: int, end: int, where: str) -> Iterator[tuple[int, int, int, int]]:
    """Walk the fields of the message in ``data[start:end]``.

    Yields ``(field_number, wire_type, a, b)``: for a varint ``a`` is its value; for
    64- and 32-bit fields ``a`` is the offset of their bytes; for length-delimited
    fields ``[a, b)`` is the payload. ``b`` is 0 where unused.
    """
    pos = start
    while pos < end:
        # One-byte keys, lengths and values (nearly all of them) are read inline; a
        # longer varint, or one cut off at ``end``, goes through read_varint.
        key = data[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = read_varint(data, pos, end, where)
        number, wire = key >> 3, key & 7
        if number == 0 or number > 0x1FFFFFFF:
            raise _bad(f"invalid field number {number}", where)
        if wire == VARINT:
            value, pos = read_varint(data, pos, end, where)
            yield number, wire, value, 0
        elif wire == LEN:
            if pos < end and data[pos] < 0x80:
                size = data[pos]
                pos += 1
            else:
                size, pos = read_varint(data, pos, end, where)
            stop = pos + size
            if stop > end:
                raise _bad(f"field {number} declares {size} bytes but only {end - pos} remain", where)
            yield number, wire, pos, stop
            pos = stop
        elif wire == I64:
            if pos + 8 > end:
                raise _bad(f"truncated 64-bit field {number}", where)
            yield number, wire, pos, 0
            pos += 8
        elif wire == I32:
            if pos + 4 > end:
                raise _bad(f"truncated 32-bit field {number}", where)
            yield number, wire, pos, 0
            pos += 4
        elif wire in (SGROUP, EGROUP):
            raise _bad(f"field {number} uses the deprecated group encoding", where)
        else:
            raise _bad(f"field {number} has invalid wire type {wire}", where)


def expect(wire: int, wanted: int, number: int, where: str) -> None:
    if wire != wanted:
        raise _bad(
            f"field {number} should be {_WIRE_NAMES.get(wanted, wanted)}, got {_WIRE_NAMES.get(wire, wire)}", where
        )


def double_at(data: bytes, offset: int) -> float:
    return _DOUBLE.unpack_from(data, offset)[0]


def as_int64(u: int) -> int:
    return u - (1 << 64) if u >= 1 << 63 else u


def as_int32(u: int) -> int:
    u &= 0xFFFFFFFF
    return u - (1 << 32) if u >= 1 << 31 else u


def zigzag(u: int) -> int:
    return (u >> 1) ^ -(u & 1)


def string(data: bytes, a: int, b: int, where: str) -> str:
    try:
        return data[a:b].decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("string is not valid UTF-8", where) from None


def varints(data: bytes, number: int, wire: int, a: int, b: int, where: str) -> list[int]:
    """A repeated varint field occurrence: packed (one LEN) or unpacked (one value)."""
    if wire == VARINT:
        return [a]
    expect(wire, LEN, number, where)
    out: list[int] = []
    pos = a
    while pos < b:
        value = data[pos]
        if value < 0x80:  # as read_varint would, without the call
            pos += 1
        else:
            value, pos = read_varint(data, pos, b, where)
        out.append(value)
    return out


def doubles(data: bytes, number: int, wire: int, a: int, b: int, where: str) -> list[float]:
    """A repeated double field occurrence: packed (one LEN) or unpacked (one value)."""
    if wire == I64:
        return [double_at(data, a)]
    expect(wire, LEN, number, where)
    if (b - a) % 8:
        raise _bad(f"packed doubles of field {number} are {b - a} bytes, not a multiple of 8", where)
    return list(struct.unpack_from(f"<{(b - a) // 8}d", data, a))
