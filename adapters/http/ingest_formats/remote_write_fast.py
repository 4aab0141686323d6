"""The wire pass of remote write 1.0 for the encoding senders actually produce.

Why a second reader: ``decode_v1_general`` walks every nested message through the
``protowire.fields`` generator, and a Prometheus request (thousands of series of ~6
labels and one sample) spends most of its decoding time in that per-field machinery.
Prometheus and its kin encode with gogo-protobuf: one-byte tags, fields in number order,
a string or number left out when empty or zero. ``scan_v1`` reads exactly that shape
with plain index arithmetic, decodes each distinct label and timestamp once per
request (they repeat across series), and gives up - returns ``None`` - on anything else:
an unknown field, another wire type, an out-of-order or repeated field, a truncation,
invalid UTF-8, an over-long varint. The caller then decodes the whole request with the
general decoder, so every error keeps its message and field from the code that has
always produced it, and unusual but valid input still decodes.

What ``scan_v1`` returns must equal what the general decoder's wire pass would read from
the same bytes (``tests/unit/http/test_remote_write_fast_path.py`` checks it).
"""

from __future__ import annotations

import struct

_U64 = (1 << 64) - 1
_double_at = struct.Struct("<d").unpack_from
# One-byte tags (field number << 3 | wire type), all length-delimited (wire type 2).
_SERIES, _METADATA = 0x0A, 0x1A  # WriteRequest.timeseries = 1, .metadata = 3
_LABEL, _SAMPLE, _EXEMPLAR, _HISTOGRAM = 0x0A, 0x12, 0x1A, 0x22  # TimeSeries fields 1-4
_NAME, _VALUE = 0x0A, 0x12  # Label.name = 1, .value = 2
_SAMPLE_VALUE, _SAMPLE_TS = 0x09, 0x10  # Sample.value = 1 (64-bit), .timestamp = 2 (varint)

Scanned = tuple[list[tuple[list, list, list, int]], list[tuple[int, int]]]


class _Unusual(Exception):
    """Input this reader does not handle; caught in ``scan_v1``, never escapes."""


def scan_v1(data: bytes) -> Scanned | None:
    """``(series, metadata)`` of a ``prometheus.WriteRequest``, or ``None`` when the
    general decoder must read it. Each series is ``(label pairs, [[ts, value], ...],
    histogram spans, exemplar count)``; histograms and metadata entries are left as
    ``(start, stop)`` spans for the caller to read with the general code."""
    if type(data) is not bytes:
        return None
    try:
        return _scan(data)
    except (_Unusual, IndexError, UnicodeDecodeError):
        # IndexError: a length or tag read ran off the end of the buffer (truncation).
        return None


def _scan(data: bytes) -> Scanned:
    labels_seen: dict[bytes, tuple[str, str]] = {}  # raw Label message -> (name, value)
    times_seen: dict[bytes, int] = {}  # raw timestamp varint -> int64
    known_label = labels_seen.get
    series: list[tuple[list, list, list, int]] = []
    metadata: list[tuple[int, int]] = []
    size_of = len(data)
    top = 0
    while top < size_of:
        tag = data[top]
        pos, end = _payload(data, top, size_of)
        top = end
        if tag == _METADATA:
            metadata.append((pos, end))
            continue
        if tag != _SERIES:
            raise _Unusual
        pairs: list[tuple[str, str]] = []
        samples: list[list] = []
        hists: list[tuple[int, int]] = []
        exemplars = 0
        while pos < end:
            tag = data[pos]
            size = data[pos + 1]
            if size < 0x80:
                a = pos + 2
            else:
                size, a = _length(data, pos + 1)
            pos = a + size
            # Every length is checked against the end of its own message, not of the
            # buffer: reading a byte past it is harmless, trusting it is not.
            if pos > end:
                raise _Unusual
            if tag == _LABEL:
                key = data[a:pos]
                pair = known_label(key)
                if pair is None:
                    pair = labels_seen[key] = _label(data, a, pos)
                pairs.append(pair)
            elif tag == _SAMPLE:
                samples.append(_sample(data, a, pos, times_seen))
            elif tag == _EXEMPLAR:
                exemplars += 1
            elif tag == _HISTOGRAM:
                hists.append((a, pos))
            else:
                raise _Unusual
        series.append((pairs, samples, hists, exemplars))
    return series, metadata


def _sample(data: bytes, pos: int, end: int, times_seen: dict[bytes, int]) -> list:
    """Sample{value = 1, timestamp = 2} as ``[ts, value]``: value (64-bit) then timestamp
    (varint), either left out when zero."""
    value, ts = 0.0, 0
    if pos < end and data[pos] == _SAMPLE_VALUE:
        if pos + 9 > end:
            raise _Unusual
        value = _double_at(data, pos + 1)[0]
        pos += 9
    if pos < end and data[pos] == _SAMPLE_TS:
        raw = data[pos + 1:end]
        ts = times_seen.get(raw)
        if ts is None:
            ts = times_seen[raw] = _int64(raw)
        pos = end
    if pos != end:
        raise _Unusual
    return [ts, value]


def _label(data: bytes, pos: int, end: int) -> tuple[str, str]:
    """Label{name = 1, value = 2}: name then value, either left out when empty."""
    name = value = ""
    if pos < end and data[pos] == _NAME:
        a, pos = _payload(data, pos, end)
        name = data[a:pos].decode("utf-8")
    if pos < end and data[pos] == _VALUE:
        a, pos = _payload(data, pos, end)
        value = data[a:pos].decode("utf-8")
    if pos != end:
        raise _Unusual
    return name, value


def _payload(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """``[start, stop)`` of the length-delimited field whose tag is at ``pos``, which
    must end by ``end``."""
    size = data[pos + 1]
    if size < 0x80:
        start = pos + 2
    else:
        size, start = _length(data, pos + 1)
    if start + size > end:
        raise _Unusual
    return start, start + size


def _length(data: bytes, pos: int) -> tuple[int, int]:
    """A length of 128 or more: a varint of up to 4 bytes (below 256 MiB, far above any
    body we accept). Returns (length, position after it)."""
    b = data[pos]
    result, shift = b & 0x7F, 7
    while b >= 0x80:
        if shift > 21:
            raise _Unusual
        pos += 1
        b = data[pos]
        result |= (b & 0x7F) << shift
        shift += 7
    return result, pos + 1


def _int64(raw: bytes) -> int:
    """``raw`` as exactly one varint (1 to 10 bytes), read as protobuf's int64."""
    if not 0 < len(raw) <= 10 or raw[-1] >= 0x80:
        raise _Unusual
    result, shift = 0, 0
    for b in raw[:-1]:
        if b < 0x80:
            raise _Unusual
        result |= (b & 0x7F) << shift
        shift += 7
    result = (result | raw[-1] << shift) & _U64
    return result - (1 << 64) if result >= 1 << 63 else result
