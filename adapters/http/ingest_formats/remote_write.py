"""Prometheus remote write 1.0 and 2.0 request bodies (after snappy) as ``RawSeries``.

Field numbers are those of the official definitions in the Prometheus repository:
``prompb/remote.proto`` + ``prompb/types.proto`` (1.0, package ``prometheus``) and
``prompb/io/prometheus/write/v2/types.proto`` (2.0, package ``io.prometheus.write.v2``),
as specified at prometheus.io/docs/specs/remote_write_spec and remote_write_spec_2_0::

    1.0 WriteRequest  { TimeSeries timeseries = 1; MetricMetadata metadata = 3; }
        TimeSeries    { Label labels = 1; Sample samples = 2; Exemplar exemplars = 3; Histogram histograms = 4; }
        Label         { string name = 1; string value = 2; }
        MetricMetadata{ MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
    2.0 Request       { string symbols = 4; TimeSeries timeseries = 5; }
        TimeSeries    { uint32 labels_refs = 1; Sample samples = 2; Histogram histograms = 3;
                        Exemplar exemplars = 4; Metadata metadata = 5; int64 created_timestamp = 6; }
        Metadata      { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
    both Sample       { double value = 1; int64 timestamp = 2; }
         Exemplar     { (labels) = 1; double value = 2; int64 timestamp = 3; }
         Histogram    { oneof count { uint64 count_int = 1; double count_float = 2; } double sum = 3;
                        sint32 schema = 4; double zero_threshold = 5;
                        oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
                        BucketSpan negative_spans = 8; sint64 negative_deltas = 9; double negative_counts = 10;
                        BucketSpan positive_spans = 11; sint64 positive_deltas = 12; double positive_counts = 13;
                        ResetHint reset_hint = 14; int64 timestamp = 15; double custom_values = 16; }
         BucketSpan   { sint32 offset = 1; uint32 length = 2; }

Native histograms become classic ``_bucket{le}``/``_sum``/``_count`` series (see
``histograms.py``); exemplars are counted but not stored; help text and created
timestamps are not used. A 1.0 request in the usual encoding has its wire pass done by
``remote_write_fast.py``; anything else by the general walk here (see ``decode_v1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.http.ingest_formats import protowire as pw
from adapters.http.ingest_formats.errors import MalformedPayload
from adapters.http.ingest_formats.histograms import MAX_BUCKETS, exponential_to_explicit, explicit_to_cumulative
from adapters.http.ingest_formats.remote_write_fast import scan_v1
from adapters.http.ingest_formats.series import STALE_NAN, SeriesAccumulator, is_stale_nan, reject
from domain.errors import LimitExceeded, ValidationError
from domain.metrics.kinds import format_le
from services.ingest import RawSeries

CUSTOM_BUCKETS_SCHEMA = -53
RESET_HINT_GAUGE = 3
# MetricType of both versions: 1 counter, 2 gauge, 3 histogram, 4 gauge histogram, 5 summary.
_KIND = {1: "counter", 2: "gauge", 3: "histogram", 4: "gauge", 5: "summary"}
_FAMILY_SUFFIXES = ("_bucket", "_sum", "_count", "_total", "_created", "_info")


@dataclass
class RemoteWriteBatch:
    """What a request carried: the series to ingest and the counts the 2.0 response reports."""

    series: list[RawSeries] = field(default_factory=list)
    samples: int = 0
    histograms: int = 0
    exemplars: int = 0


@dataclass
class _Histogram:
    count: float = 0.0
    sum: float = 0.0
    schema: int = 0
    zero_threshold: float = 0.0
    zero_count: float = 0.0
    neg_spans: list = field(default_factory=list)
    neg_deltas: list = field(default_factory=list)
    neg_counts: list = field(default_factory=list)
    pos_spans: list = field(default_factory=list)
    pos_deltas: list = field(default_factory=list)
    pos_counts: list = field(default_factory=list)
    reset_hint: int = 0
    timestamp: int = 0
    custom_values: list = field(default_factory=list)


def _sample(data: bytes, a: int, b: int, where: str) -> list:
    # Fast path for how every sender encodes it: tag 0x09, 8-byte double, tag 0x10, varint.
    if b - a >= 11 and data[a] == 0x09 and data[a + 9] == 0x10:
        ts, end = pw.read_varint(data, a + 10, b, where)
        if end == b:
            return [pw.as_int64(ts), pw.double_at(data, a + 1)]
    value, ts = 0.0, 0
    for num, wire, x, _ in pw.fields(data, a, b, where):
        if num == 1:
            pw.expect(wire, pw.I64, num, where)
            value = pw.double_at(data, x)
        elif num == 2:
            pw.expect(wire, pw.VARINT, num, where)
            ts = pw.as_int64(x)
    return [ts, value]


def _label(data: bytes, a: int, b: int, where: str) -> tuple[str, str]:
    # Fast path: tag 0x0a, short name, tag 0x12, short value (lengths below 128).
    if b - a >= 4 and data[a] == 0x0A and data[a + 1] < 0x80:
        p = a + 2 + data[a + 1]
        if p + 2 <= b and data[p] == 0x12 and data[p + 1] < 0x80 and p + 2 + data[p + 1] == b:
            return pw.string(data, a + 2, p, where), pw.string(data, p + 2, b, where)
    name = value = ""
    for num, wire, x, y in pw.fields(data, a, b, where):
        if num in (1, 2):
            pw.expect(wire, pw.LEN, num, where)
            if num == 1:
                name = pw.string(data, x, y, where)
            else:
                value = pw.string(data, x, y, where)
    return name, value


def _span(data: bytes, a: int, b: int, where: str) -> tuple[int, int]:
    offset = length = 0
    for num, wire, x, _ in pw.fields(data, a, b, where):
        if num == 1:
            pw.expect(wire, pw.VARINT, num, where)
            offset = pw.zigzag(x & 0xFFFFFFFF)
        elif num == 2:
            pw.expect(wire, pw.VARINT, num, where)
            length = x & 0xFFFFFFFF
    return offset, length


def _histogram(data: bytes, a: int, b: int, where: str) -> _Histogram:
    h = _Histogram()
    for num, wire, x, y in pw.fields(data, a, b, where):
        if num in (1, 6, 4, 14, 15):
            pw.expect(wire, pw.VARINT, num, where)
            if num == 1:
                h.count = float(x)
            elif num == 6:
                h.zero_count = float(x)
            elif num == 4:
                h.schema = pw.zigzag(x & 0xFFFFFFFF)
            elif num == 14:
                h.reset_hint = x
            else:
                h.timestamp = pw.as_int64(x)
        elif num in (2, 3, 5, 7):
            pw.expect(wire, pw.I64, num, where)
            v = pw.double_at(data, x)
            if num == 2:
                h.count = v
            elif num == 3:
                h.sum = v
            elif num == 5:
                h.zero_threshold = v
            else:
                h.zero_count = v
        elif num in (8, 11):
            pw.expect(wire, pw.LEN, num, where)
            (h.neg_spans if num == 8 else h.pos_spans).append(_span(data, x, y, f"{where}.spans"))
        elif num in (9, 12):
            deltas = [pw.zigzag(v) for v in pw.varints(data, num, wire, x, y, where)]
            (h.neg_deltas if num == 9 else h.pos_deltas).extend(deltas)
        elif num in (10, 13, 16):
            values = pw.doubles(data, num, wire, x, y, where)
            {10: h.neg_counts, 13: h.pos_counts, 16: h.custom_values}[num].extend(values)
    return h


def _spans_to_buckets(spans: list, deltas: list, counts: list, where: str) -> dict[int, float]:
    """Spans (offset gaps, lengths) plus either deltas (integer histograms: each bucket
    relative to the previous one) or absolute counts (float histograms) -> {index: count}."""
    values: list[float] = counts if counts else []
    if not counts and deltas:
        running = 0
        values = []
        for d in deltas:
            running += d
            values.append(float(running))
    total = sum(length for _, length in spans)
    if total != len(values):
        raise ValidationError(f"bucket spans cover {total} buckets but {len(values)} counts were sent", field=f"{where}.spans")
    if total > MAX_BUCKETS:
        raise LimitExceeded(f"histogram has {total} buckets on one side, over the limit of {MAX_BUCKETS}",
                            field=where, limit="max_histogram_buckets", value=MAX_BUCKETS)
    out: dict[int, float] = {}
    idx, k = 0, 0
    for i, (offset, length) in enumerate(spans):
        idx = offset if i == 0 else idx + offset
        for _ in range(length):
            if values[k]:
                out[idx] = values[k]
            idx += 1
            k += 1
    return out


def _native_to_buckets(h: _Histogram, where: str) -> list[tuple[float, float]]:
    pos = _spans_to_buckets(h.pos_spans, h.pos_deltas, h.pos_counts, f"{where}.positive")
    if h.schema == CUSTOM_BUCKETS_SCHEMA:
        # Custom bounds (a classic histogram sent as native): bucket i is custom_values[i],
        # index len(custom_values) the +Inf bucket.
        bounds = h.custom_values
        if len(bounds) > MAX_BUCKETS:
            raise LimitExceeded(f"histogram has {len(bounds)} custom bounds, over the limit of {MAX_BUCKETS}",
                                field=where, limit="max_histogram_buckets", value=MAX_BUCKETS)
        outside = [i for i in pos if not 0 <= i <= len(bounds)]
        if outside:
            raise ValidationError(f"custom bucket index {outside[0]} is outside the {len(bounds)} custom bounds", field=f"{where}.positive")
        return explicit_to_cumulative(bounds, [pos.get(i, 0.0) for i in range(len(bounds) + 1)], h.count)
    if not -4 <= h.schema <= 8:
        raise ValidationError(f"native histogram schema {h.schema} is not supported (use -4..8 or -53)", field=f"{where}.schema")
    neg = _spans_to_buckets(h.neg_spans, h.neg_deltas, h.neg_counts, f"{where}.negative")
    # Prometheus' bucket i spans (base**(i-1), base**i]; OTLP's (base**i, base**(i+1)].
    return exponential_to_explicit(h.schema, h.zero_count, h.zero_threshold, {i - 1: c for i, c in pos.items()},
                                   {i - 1: c for i, c in neg.items()}, h.count, where=where)


def _add_histograms(acc: SeriesAccumulator, name: str, labels: dict[str, str], hists: list[_Histogram],
                    kind: str, where: str) -> None:
    for j, h in enumerate(hists):
        at = f"{where}.histograms[{j}]"
        kind_here = "gauge" if h.reset_hint == RESET_HINT_GAUGE else kind
        stale = is_stale_nan(h.sum)
        for bound, cum in _native_to_buckets(h, at):
            acc.add(f"{name}_bucket", {**labels, "le": format_le(bound)}, [[h.timestamp, STALE_NAN if stale else cum]], kind_here, "", where)
        acc.add(f"{name}_sum", labels, [[h.timestamp, h.sum]], kind_here, "", where)
        acc.add(f"{name}_count", labels, [[h.timestamp, STALE_NAN if stale else h.count]], kind_here, "", where)


def _split_name(pairs: list[tuple[str, str]], where: str) -> tuple[str, dict[str, str]]:
    labels: dict[str, str] = {}
    for n, v in pairs:
        if n in labels:
            raise ValidationError(f"label {n!r} given twice", field=f"{where}.labels.{n}")
        labels[n] = v
    name = labels.pop("__name__", "")
    if not name:
        raise ValidationError("series has no __name__ label (the metric name)", field=f"{where}.labels")
    return name, labels


def _kind_for(name: str, labels: dict[str, str], family_type: int | None) -> str:
    """Kind from the metadata when it came along; else the naming conventions."""
    kind = _KIND.get(family_type or 0)
    if kind == "summary":
        return "counter" if name.endswith(("_sum", "_count")) else "gauge"
    if kind is not None:
        return kind
    if name.endswith("_total"):
        return "counter"
    if name.endswith("_bucket") and "le" in labels:
        return "histogram"
    return "gauge"


def _family_type(metadata: dict[str, int], name: str) -> int | None:
    if name in metadata:
        return metadata[name]
    for suffix in _FAMILY_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in metadata:
            return metadata[name[: -len(suffix)]]
    return None


def _finish(acc: SeriesAccumulator, errors: list[ValidationError], out: RemoteWriteBatch) -> RemoteWriteBatch:
    reject(errors)
    out.series = acc.series()
    return out


def _metadata_entry(data: bytes, a: int, b: int, metadata: dict[str, int]) -> None:
    """One 1.0 ``MetricMetadata``: remembers its family's type (help and unit unused)."""
    where = "WriteRequest.metadata"
    mtype, family = 0, ""
    for num, wire, x, y in pw.fields(data, a, b, where):
        if num == 1:
            pw.expect(wire, pw.VARINT, num, where)
            mtype = x
        elif num == 2:
            pw.expect(wire, pw.LEN, num, where)
            family = pw.string(data, x, y, where)
    if family:
        metadata[family] = mtype


def decode_v1(data: bytes) -> RemoteWriteBatch:
    """``prometheus.WriteRequest`` -> series (metadata-only requests give none).

    The wire pass of the common encoding is ``scan_v1``'s (several times faster than
    the general walk); whatever it does not take, and every request found malformed on
    the way, is decoded again by ``decode_v1_general``, so errors come from one place.
    """
    scanned = scan_v1(data)
    if scanned is None:
        return decode_v1_general(data)
    series, metadata_spans = scanned
    acc = SeriesAccumulator()
    add = acc.add
    errors: list[ValidationError] = []
    n_samples = n_histograms = n_exemplars = 0
    try:
        metadata: dict[str, int] = {}
        for a, b in metadata_spans:
            _metadata_entry(data, a, b, metadata)
        # From here on this must do what decode_v1_general's series loop does, in the
        # same order, given the same pairs, samples, exemplars and histograms.
        for i, (pairs, samples, hist_spans, exemplars) in enumerate(series):
            at = f"timeseries[{i}]"
            hists = [_histogram(data, x, y, f"{at}.histograms") for x, y in hist_spans] if hist_spans else ()
            n_samples += len(samples)
            n_histograms += len(hists)
            n_exemplars += exemplars
            labels = dict(pairs)
            name = labels.pop("__name__", "") if len(labels) == len(pairs) else ""
            try:
                if not name:  # a repeated label or no metric name: _split_name raises its error
                    name, labels = _split_name(pairs, at)
                ftype = _family_type(metadata, name) if metadata else None
                if samples:
                    add(name, labels, samples, _kind_for(name, labels, ftype), "", at)
                if hists:
                    _add_histograms(acc, name, labels, hists, "gauge" if ftype == 4 else "histogram", at)
            except ValidationError as exc:
                errors.append(exc)
    except MalformedPayload:
        return decode_v1_general(data)
    return _finish(acc, errors, RemoteWriteBatch(samples=n_samples, histograms=n_histograms, exemplars=n_exemplars))


def decode_v1_general(data: bytes) -> RemoteWriteBatch:
    """``decode_v1`` for any encoding, and the source of its every error message."""
    where = "WriteRequest"
    series_spans: list[tuple[int, int]] = []
    metadata: dict[str, int] = {}
    for num, wire, a, b in pw.fields(data, 0, len(data), where):
        if num == 1:
            pw.expect(wire, pw.LEN, num, where)
            series_spans.append((a, b))
        elif num == 3:
            pw.expect(wire, pw.LEN, num, where)
            _metadata_entry(data, a, b, metadata)
    out = RemoteWriteBatch()
    acc = SeriesAccumulator()
    errors: list[ValidationError] = []
    for i, (a, b) in enumerate(series_spans):
        at = f"timeseries[{i}]"
        pairs, samples, hists = [], [], []
        for num, wire, x, y in pw.fields(data, a, b, at):
            if num == 1:
                pw.expect(wire, pw.LEN, num, at)
                pairs.append(_label(data, x, y, at))
            elif num == 2:
                pw.expect(wire, pw.LEN, num, at)
                samples.append(_sample(data, x, y, at))
            elif num == 3:
                pw.expect(wire, pw.LEN, num, at)
                out.exemplars += 1
            elif num == 4:
                pw.expect(wire, pw.LEN, num, at)
                hists.append(_histogram(data, x, y, f"{at}.histograms"))
        out.samples += len(samples)
        out.histograms += len(hists)
        try:
            name, labels = _split_name(pairs, at)
            ftype = _family_type(metadata, name)
            if samples:
                acc.add(name, labels, samples, _kind_for(name, labels, ftype), "", at)
            _add_histograms(acc, name, labels, hists, "gauge" if ftype == 4 else "histogram", at)
        except ValidationError as exc:
            errors.append(exc)
    return _finish(acc, errors, out)


def decode_v2(data: bytes) -> RemoteWriteBatch:
    """``io.prometheus.write.v2.Request`` -> series. Label names and values, help and
    unit are references into the request's symbol table."""
    where = "Request"
    symbols: list[str] = []
    series_spans: list[tuple[int, int]] = []
    for num, wire, a, b in pw.fields(data, 0, len(data), where):
        if num == 4:
            pw.expect(wire, pw.LEN, num, where)
            symbols.append(pw.string(data, a, b, f"{where}.symbols[{len(symbols)}]"))
        elif num == 5:
            pw.expect(wire, pw.LEN, num, where)
            series_spans.append((a, b))

    def symbol(ref: int, at: str) -> str:
        if ref >= len(symbols):
            raise MalformedPayload("protobuf", f"{at}: symbol reference {ref} is outside the table of {len(symbols)} symbols", field=at)
        return symbols[ref]

    out = RemoteWriteBatch()
    acc = SeriesAccumulator()
    errors: list[ValidationError] = []
    for i, (a, b) in enumerate(series_spans):
        at = f"timeseries[{i}]"
        refs: list[int] = []
        samples, hists = [], []
        mtype, unit = 0, ""
        for num, wire, x, y in pw.fields(data, a, b, at):
            if num == 1:
                refs.extend(pw.varints(data, num, wire, x, y, f"{at}.labelsRefs"))
            elif num == 2:
                pw.expect(wire, pw.LEN, num, at)
                samples.append(_sample(data, x, y, at))
            elif num == 3:
                pw.expect(wire, pw.LEN, num, at)
                hists.append(_histogram(data, x, y, f"{at}.histograms"))
            elif num == 4:
                pw.expect(wire, pw.LEN, num, at)
                out.exemplars += 1
            elif num == 5:
                pw.expect(wire, pw.LEN, num, at)
                for n2, w2, p, _ in pw.fields(data, x, y, f"{at}.metadata"):
                    if n2 in (1, 4):
                        pw.expect(w2, pw.VARINT, n2, f"{at}.metadata")
                        if n2 == 1:
                            mtype = p
                        else:
                            unit = symbol(p, f"{at}.metadata.unitRef")
        if len(refs) % 2:
            raise MalformedPayload("protobuf", f"{at}: labels_refs has an odd number ({len(refs)}) of references", field=f"{at}.labelsRefs")
        if not refs or max(refs) < len(symbols):
            pairs = list(zip(map(symbols.__getitem__, refs[::2]), map(symbols.__getitem__, refs[1::2])))
        else:  # one is outside the table: symbol() names the first such one
            pairs = [(symbol(refs[k], f"{at}.labelsRefs"), symbol(refs[k + 1], f"{at}.labelsRefs")) for k in range(0, len(refs), 2)]
        out.samples += len(samples)
        out.histograms += len(hists)
        try:
            name, labels = _split_name(pairs, at)
            if samples:
                acc.add(name, labels, samples, _kind_for(name, labels, mtype), unit, at)
            if hists:
                _add_histograms(acc, name, labels, hists, "gauge" if mtype == 4 else "histogram", at)
        except ValidationError as exc:
            errors.append(exc)
    return _finish(acc, errors, out)
