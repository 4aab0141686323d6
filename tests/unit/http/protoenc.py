"""A tiny protobuf wire-format *encoder* for building remote-write test payloads by hand.

Independent of the decoder under test (adapters/http/ingest_formats/protowire.py), so a
mistake in one is not mirrored in the other. Messages are lists of (field, value) where
value is an int (varint), a ``Fixed64`` double, bytes/str (length-delimited) or a nested
message (a list).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Double:
    value: float


@dataclass(frozen=True)
class SInt:
    """A zigzag-encoded signed integer (sint32/sint64)."""

    value: int


@dataclass(frozen=True)
class Packed:
    """Packed repeated varints (or doubles if ``doubles``)."""

    values: tuple
    doubles: bool = False
    zigzag: bool = False


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _zz(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def encode(message: list) -> bytes:
    out = bytearray()
    for number, value in message:
        if isinstance(value, bool) or isinstance(value, int):
            out += varint(number << 3) + varint(int(value))
        elif isinstance(value, SInt):
            out += varint(number << 3) + varint(_zz(value.value))
        elif isinstance(value, Double):
            out += varint(number << 3 | 1) + struct.pack("<d", value.value)
        elif isinstance(value, Packed):
            if value.doubles:
                payload = b"".join(struct.pack("<d", v) for v in value.values)
            else:
                payload = b"".join(varint(_zz(v) if value.zigzag else v) for v in value.values)
            out += varint(number << 3 | 2) + varint(len(payload)) + payload
        else:
            payload = value.encode() if isinstance(value, str) else bytes(value) if isinstance(value, (bytes, bytearray)) else encode(value)
            out += varint(number << 3 | 2) + varint(len(payload)) + payload
    return bytes(out)


# -- remote write 1.0 -------------------------------------------------------------------

def rw1_series(labels: dict[str, str], samples: list[tuple[int, float]], histograms: list[list] = (), exemplars: int = 0) -> list:
    msg: list = [(1, [(1, n), (2, v)]) for n, v in labels.items()]
    msg += [(2, [(1, Double(v)), (2, ts)]) for ts, v in samples]
    msg += [(3, [(1, [(1, "trace_id"), (2, "abc")]), (2, Double(1.0)), (3, 1)]) for _ in range(exemplars)]
    msg += [(4, h) for h in histograms]
    return msg


def rw1_request(series: list[list], metadata: list[tuple[int, str, str]] = ()) -> bytes:
    msg: list = [(1, s) for s in series]
    msg += [(3, [(1, t), (2, fam), (5, unit)]) for t, fam, unit in metadata]
    return encode(msg)


def native_histogram(ts: int, count: int, total: float, schema: int, zero_count: int = 0, zero_threshold: float = 0.0,
                     positive: list[tuple[int, int]] = (), deltas: list[int] = (), negative: list[tuple[int, int]] = (),
                     neg_deltas: list[int] = (), reset_hint: int = 0, custom_values: list[float] = ()) -> list:
    msg: list = [(1, count), (3, Double(total)), (4, SInt(schema)), (5, Double(zero_threshold)), (6, zero_count)]
    msg += [(8, [(1, SInt(o)), (2, n)]) for o, n in negative]
    if neg_deltas:
        msg.append((9, Packed(tuple(neg_deltas), zigzag=True)))
    msg += [(11, [(1, SInt(o)), (2, n)]) for o, n in positive]
    if deltas:
        msg.append((12, Packed(tuple(deltas), zigzag=True)))
    if reset_hint:
        msg.append((14, reset_hint))
    msg.append((15, ts))
    if custom_values:
        msg.append((16, Packed(tuple(custom_values), doubles=True)))
    return msg


# -- remote write 2.0 -------------------------------------------------------------------

class Symbols:
    def __init__(self) -> None:
        self.table: list[str] = [""]

    def ref(self, s: str) -> int:
        if s not in self.table:
            self.table.append(s)
        return self.table.index(s)


def rw2_series(sym: Symbols, labels: dict[str, str], samples: list[tuple[int, float]] = (), histograms: list[list] = (),
               exemplars: int = 0, metric_type: int = 0, unit: str = "", help_: str = "") -> list:
    refs = []
    for n, v in sorted(labels.items()):
        refs += [sym.ref(n), sym.ref(v)]
    msg: list = [(1, Packed(tuple(refs)))]
    msg += [(2, [(1, Double(v)), (2, ts)]) for ts, v in samples]
    msg += [(3, h) for h in histograms]
    msg += [(4, [(1, Packed((sym.ref("trace_id"), sym.ref("abc")))), (2, Double(1.0)), (3, 1)]) for _ in range(exemplars)]
    if metric_type or unit or help_:
        msg.append((5, [(1, metric_type), (3, sym.ref(help_)), (4, sym.ref(unit))]))
    return msg


def rw2_request(sym: Symbols, series: list[list]) -> bytes:
    return encode([(4, s) for s in sym.table] + [(5, s) for s in series])
