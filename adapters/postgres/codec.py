"""Column codec for per-series chunks and rollup rows: vectorised (numpy), lossless.

Why this shape: a chunk is a few hundred to a few thousand samples of one series, and
Python must not touch each of them. Every column is turned into small unsigned
integers with whole-array numpy operations, byte-shuffled (all low bytes, then all
next bytes...) with the all-zero high bytes cut off, and the lot is compressed once
with zstd, which then sees long runs of equal bytes. This is the vectorised cousin of
Gorilla's bit packing: the same redundancy is removed, by zstd instead of a bit loop.

* Integers (timestamps, counts): first- or second-order differences (delta or
  delta-of-delta, whichever spans less), minus their minimum. A regular scrape
  interval with a few ms of jitter costs about half a byte per timestamp.
* Floats, decimal mode: most metrics are decimals with few digits (``12.34``) or
  integers (counters). For the smallest scale ``k`` that explains most values,
  ``ints = rint(v * 10**k)`` is delta-encoded and the *residual*
  ``bits(v) - bits(ints / 10**k)`` (int64 arithmetic, wrapping) is stored too. The
  decoder recomputes ``ints / 10**k`` (IEEE division is deterministic) and adds the
  residual back, so every value, NaN payloads and ±Inf included, round-trips bit for
  bit; the residual is zero wherever the decimal guess was right, so it costs nothing.
* Floats, XOR mode (Gorilla's idea): each value's bits XOR the previous value's; for
  values with no decimal structure.

Layout: ``version u8 | flags u8 | n u32 | n_float u8 | n_int u8`` then the body (zstd
when flag bit 0 is set): the timestamp column, each float column, each int column.
"""

from __future__ import annotations

import struct

import numpy as np
import zstandard

VERSION = 1
_HEADER = struct.Struct("<BBIBB")
_I64 = struct.Struct("<q")
_U64 = struct.Struct("<Q")
_COMPRESSED = 1
_XOR, _DECIMAL = 0, 1
_MAX_SCALE = 12
_SCALES = 10.0 ** np.arange(_MAX_SCALE + 1)
_SAFE = float(2**53)

# Chunks of a handful of samples do not shrink under zstd (its frame header costs more).
_MIN_COMPRESS = 16

_compressors: dict[int, zstandard.ZstdCompressor] = {}
_decompressor = zstandard.ZstdDecompressor()


def _compressor(level: int) -> zstandard.ZstdCompressor:
    c = _compressors.get(level)
    if c is None:
        c = _compressors[level] = zstandard.ZstdCompressor(level=level)
    return c


# ------------------------------------------------------------------ integers

def _zigzag(x: np.ndarray) -> np.ndarray:
    return ((x << 1) ^ (x >> 63)).view(np.uint64)


def _unzigzag(u: np.ndarray) -> np.ndarray:
    return ((u >> np.uint64(1)) ^ (np.uint64(0) - (u & np.uint64(1)))).view(np.int64)


def _planes(u: np.ndarray, out: list[bytes]) -> None:
    """Append the width byte and the byte planes of ``u`` (unsigned), high zero bytes cut."""
    top = int(u.max()) if u.size else 0
    width = (top.bit_length() + 7) // 8
    out.append(bytes((width,)))
    if width:
        out.append(np.ascontiguousarray(u.view(np.uint8).reshape(-1, 8)[:, :width].T).tobytes())


def _read_planes(buf: memoryview, pos: int, n: int) -> tuple[np.ndarray, int]:
    width = buf[pos]
    pos += 1
    u = np.zeros((n, 8), dtype=np.uint8)
    if width and n:
        size = width * n
        u[:, :width] = np.frombuffer(buf[pos:pos + size], dtype=np.uint8).reshape(width, n).T
        pos += size
    return u.view(np.uint64).reshape(n), pos


def _encode_ints(x: np.ndarray, out: list[bytes]) -> None:
    """First element, then deltas (order 1) or delta-of-deltas (order 2), whichever
    spans the smaller range, stored minus their minimum (frame of reference). A scrape
    every 15 s with a few ms of jitter gives deltas of 15000 +- 6: one byte each, as
    narrow as the jitter allows, where delta-of-deltas would span twice that."""
    n = x.size
    d1 = x[1:] - x[:-1]
    order, first, d = 1, b"", d1
    if n >= 4:
        d2 = d1[1:] - d1[:-1]
        if _span(d2) < _span(d1):
            order, first, d = 2, _I64.pack(int(d1[0])), d2
    base = int(d.min()) if d.size else 0
    out.append(bytes((order,)) + _I64.pack(int(x[0])) + first + _I64.pack(base))
    _planes(d.view(np.uint64) - np.uint64(base & 0xFFFF_FFFF_FFFF_FFFF), out)


def _span(d: np.ndarray) -> int:
    return int(d.max()) - int(d.min())


def _decode_ints(buf: memoryview, pos: int, n: int) -> tuple[np.ndarray, int]:
    order = buf[pos]
    first = _I64.unpack_from(buf, pos + 1)[0]
    pos += 9
    if order == 2:
        d0 = _I64.unpack_from(buf, pos)[0]
        pos += 8
    base = np.uint64(_I64.unpack_from(buf, pos)[0] & 0xFFFF_FFFF_FFFF_FFFF)
    pos += 8
    u, pos = _read_planes(buf, pos, n - order if n > order else 0)
    d = (u + base).view(np.int64)
    if order == 2:
        d1 = np.empty(n - 1, dtype=np.int64)
        d1[0] = d0
        np.cumsum(d, out=d1[1:])
        d1[1:] += d0
    else:
        d1 = d
    x = np.empty(n, dtype=np.int64)
    x[0] = first
    np.cumsum(d1, out=x[1:])
    x[1:] += first
    return x, pos


# ------------------------------------------------------------------ floats

def decimal_scale(v: np.ndarray) -> tuple[int, int]:
    """(k, how many values ``rint(v * 10**k) / 10**k`` reproduces bit-exactly), for the
    smallest k reaching the best count. One vectorised pass over every k at once."""
    bits = v.view(np.uint64)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.rint(v[:, None] * _SCALES)
        ok = np.abs(scaled) < _SAFE
        approx = np.where(ok, scaled, 0.0) / _SCALES
    exact = ((approx.view(np.uint64) == bits[:, None]) & ok).sum(axis=0)
    k = int(np.argmax(exact))
    return k, int(exact[k])


def _decimal_parts(v: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scale = _SCALES[k]
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.rint(v * scale)
        scaled = np.where(np.abs(scaled) < _SAFE, scaled, 0.0)  # NaN/Inf/huge: residual carries it
    ints = scaled.astype(np.int64)
    resid = v.view(np.int64) - (ints.astype(np.float64) / scale).view(np.int64)
    return ints, resid


def _encode_floats(v: np.ndarray, out: list[bytes]) -> None:
    n = v.size
    k, exact = decimal_scale(v)
    if n > 1 and exact * 2 >= n:
        ints, resid = _decimal_parts(v, k)
        out.append(bytes((_DECIMAL, k)))
        _encode_ints(ints, out)
        _planes(_zigzag(resid), out)
        return
    bits = v.view(np.uint64)
    out.append(bytes((_XOR,)) + _U64.pack(int(bits[0])))
    _planes(bits[1:] ^ bits[:-1], out)


def _decode_floats(buf: memoryview, pos: int, n: int) -> tuple[np.ndarray, int]:
    mode = buf[pos]
    if mode == _DECIMAL:
        k = buf[pos + 1]
        ints, pos = _decode_ints(buf, pos + 2, n)
        resid, pos = _read_planes(buf, pos, n)
        base = (ints.astype(np.float64) / _SCALES[k]).view(np.int64)
        return (base + _unzigzag(resid)).view(np.float64), pos
    first = _U64.unpack_from(buf, pos + 1)[0]
    x, pos = _read_planes(buf, pos + 9, n - 1)
    bits = np.empty(n, dtype=np.uint64)
    bits[0] = first
    bits[1:] = x
    np.bitwise_xor.accumulate(bits, out=bits)
    return bits.view(np.float64), pos


# ------------------------------------------------------------------ columns

def encode_columns(ts: np.ndarray, floats: list[np.ndarray] = (), ints: list[np.ndarray] = (), *, level: int = 1) -> bytes:
    """Encode a timestamp column plus float and int columns of the same length (>= 1)."""
    n = int(ts.size)
    if n == 0:
        raise ValueError("cannot encode an empty chunk")
    body: list[bytes] = []
    _encode_ints(np.ascontiguousarray(ts, dtype=np.int64), body)
    for col in floats:
        _encode_floats(np.ascontiguousarray(col, dtype=np.float64), body)
    for col in ints:
        _encode_ints(np.ascontiguousarray(col, dtype=np.int64), body)
    payload = b"".join(body)
    flags = 0
    if n >= _MIN_COMPRESS:
        packed = _compressor(level).compress(payload)
        if len(packed) < len(payload):
            payload, flags = packed, _COMPRESSED
    return _HEADER.pack(VERSION, flags, n, len(floats), len(ints)) + payload


def decode_columns(blob: bytes) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    version, flags, n, n_float, n_int = _HEADER.unpack_from(blob, 0)
    if version != VERSION:
        raise ValueError(f"unknown chunk codec version {version}")
    body = memoryview(blob)[_HEADER.size:]
    if flags & _COMPRESSED:
        body = memoryview(_decompressor.decompress(body))
    ts, pos = _decode_ints(body, 0, n)
    floats = []
    for _ in range(n_float):
        col, pos = _decode_floats(body, pos, n)
        floats.append(col)
    ints = []
    for _ in range(n_int):
        col, pos = _decode_ints(body, pos, n)
        ints.append(col)
    return ts, floats, ints


def encode_chunk(ts: np.ndarray, values: np.ndarray, *, level: int = 1) -> bytes:
    return encode_columns(ts, [values], level=level)


def decode_chunk(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    ts, (values,), _ = decode_columns(blob)
    return ts, values
