"""protowire's field walker reads one-byte varints inline; it must behave exactly as the
plain walk that reads every varint with ``read_varint`` (kept here as the reference)."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import example, given

from adapters.http.ingest_formats import protowire as pw
from adapters.http.ingest_formats.errors import MalformedPayload
from tests.unit.http import protoenc as pe


def reference_fields(data: bytes, start: int, end: int, where: str):
    pos = start
    while pos < end:
        key, pos = pw.read_varint(data, pos, end, where)
        number, wire = key >> 3, key & 7
        if number == 0 or number > 0x1FFFFFFF:
            raise pw._bad(f"invalid field number {number}", where)
        if wire == pw.VARINT:
            value, pos = pw.read_varint(data, pos, end, where)
            yield number, wire, value, 0
        elif wire == pw.LEN:
            size, pos = pw.read_varint(data, pos, end, where)
            stop = pos + size
            if stop > end:
                raise pw._bad(f"field {number} declares {size} bytes but only {end - pos} remain", where)
            yield number, wire, pos, stop
            pos = stop
        elif wire in (pw.I64, pw.I32):
            width = 8 if wire == pw.I64 else 4
            if pos + width > end:
                raise pw._bad(f"truncated {width * 8}-bit field {number}", where)
            yield number, wire, pos, 0
            pos += width
        elif wire in (pw.SGROUP, pw.EGROUP):
            raise pw._bad(f"field {number} uses the deprecated group encoding", where)
        else:
            raise pw._bad(f"field {number} has invalid wire type {wire}", where)


def reference_varints(data: bytes, a: int, b: int, where: str) -> list[int]:
    out, pos = [], a
    while pos < b:
        value, pos = pw.read_varint(data, pos, b, where)
        out.append(value)
    return out


def walk(fields, varints, data: bytes, start: int, end: int) -> list:
    """Every field, and every length-delimited payload read as packed varints."""
    out: list = []
    try:
        for field in fields(data, start, end, "m"):
            out.append(field)
            if field[1] == pw.LEN:
                try:
                    out.append(varints(data, field[2], field[3]))
                except MalformedPayload as exc:
                    out.append((exc.message, exc.field))
    except MalformedPayload as exc:
        out.append((exc.message, exc.field))
    return out


numbers = st.one_of(st.integers(1, 20), st.integers(1, 2**29 - 1))  # 16-20: two-byte keys starting 0x80-0xa0
uint64s = st.one_of(st.sampled_from([0, 1, 127, 128, 256, 16384, 2**63, 2**64 - 1]), st.integers(0, 2**64 - 1))
messages = st.lists(st.tuples(numbers, st.one_of(
    uint64s, st.binary(max_size=200), st.builds(pe.Double, st.floats()),
    st.builds(pe.Packed, st.lists(uint64s, max_size=5).map(tuple)))), max_size=6).map(pe.encode)


@given(data=st.one_of(st.binary(max_size=120), messages), end_at=st.integers(0, 10**6))
@example(data=pe.encode([(16, 1), (1, 2)]), end_at=10**6)  # a two-byte key starting 0x80
@example(data=pe.encode([(1, b"abc")]), end_at=1)  # the message ends right after a length-delimited key
@example(data=pe.encode([(1, pe.Packed((128, 2**64 - 1)))]), end_at=10**6)  # packed varints starting 0x80
def test_inline_varints_match_the_plain_walk(data: bytes, end_at: int) -> None:
    end = end_at % (len(data) + 1)  # a message may end anywhere before its buffer does
    ours = walk(pw.fields, lambda d, a, b: pw.varints(d, 1, pw.LEN, a, b, "m"), data, 0, end)
    assert ours == walk(reference_fields, lambda d, a, b: reference_varints(d, a, b, "m"), data, 0, end)
