"""Realistic Prometheus remote-write 1.0 payloads, built fast (bench/ingest.py's load).

Why templates: a load generator that encodes protobuf per sample in Python measures
itself, not the target. Each request's bytes are laid out once per lane (labels
sorted, as the remote-write specification requires); per round only the values and
the timestamp change, and numpy writes them into place before snappy (block format)
compresses the lot: about 1 ms per 2000-sample request.
"""

from __future__ import annotations

import cramjam
import numpy as np

HEADERS = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy", "X-Prometheus-Remote-Write-Version": "0.1.0"}


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def instance_series(job_host: str) -> list[tuple[dict[str, str], int]]:
    """(labels, kind) of one host's node exporter and one instrumented app: 0 counter, 1 gauge."""
    node, app = {"job": "node", "instance": f"{job_host}:9100"}, {"job": "app", "instance": f"{job_host}:8080"}
    out = [({"__name__": "node_cpu_seconds_total", "cpu": str(c), "mode": m, **node}, 0)
           for c in range(4) for m in ("idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user")]
    out += [({"__name__": f"node_memory_{m}_bytes", **node}, 1) for m in ("MemAvailable", "MemFree", "Cached", "Buffers")]
    out += [({"__name__": f"node_load{m}", **node}, 1) for m in (1, 5, 15)]
    out += [({"__name__": f"node_filesystem_{k}_bytes", "device": d, "fstype": "ext4", "mountpoint": m, **node}, 1)
            for k in ("avail", "size") for d, m in (("/dev/sda1", "/"), ("/dev/sda2", "/var"), ("/dev/sdb1", "/data"))]
    out += [({"__name__": f"node_network_{d}_{u}_total", "device": dev, **node}, 0)
            for d in ("receive", "transmit") for u in ("bytes", "packets") for dev in ("eth0", "lo")]
    out += [({"__name__": "http_requests_total", "method": m, "code": c, "handler": h, **app}, 0)
            for m in ("GET", "POST") for c in ("200", "404", "500") for h in ("/api/v1/query", "/api/v1/write", "/metrics")]
    for h in ("/api/v1/query", "/api/v1/write", "/metrics"):
        out += [({"__name__": "http_request_duration_seconds_bucket", "handler": h, "le": le, **app}, 0)
                for le in ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")]
        out += [({"__name__": f"http_request_duration_seconds_{k}", "handler": h, **app}, 0) for k in ("sum", "count")]
    out += [({"__name__": n, **app}, k) for n, k in (("process_cpu_seconds_total", 0), ("process_resident_memory_bytes", 1),
                                                       ("process_open_fds", 1), ("go_goroutines", 1), ("go_memstats_heap_alloc_bytes", 1))]
    out += [({"__name__": "up", **app}, 1)]
    return out


class Lane:
    """One lane's series, values per round, and its requests as byte templates whose
    value and timestamp bytes are filled in with numpy (no per-sample Python)."""

    def __init__(self, lane: int, n_series: int, batch: int) -> None:
        series: list[tuple[dict[str, str], int]] = []
        host = 0
        while len(series) < n_series:
            series += instance_series(f"10.{lane // 250}.{lane % 250}.{host}")
            host += 1
        series = [({**labels, "bench_lane": str(lane)}, kind) for labels, kind in series[:n_series]]
        rng = np.random.default_rng(lane)
        self.kind = np.array([k for _, k in series])
        self.base = np.where(self.kind == 0, rng.integers(0, 10**6, n_series), rng.integers(0, 10**4, n_series) / 4).astype(float)
        self.inc = rng.integers(0, 50, n_series).astype(float)
        self.amp, self.phase = rng.random(n_series) * 100, rng.random(n_series) * 6.28
        self.templates = [template([labels for labels, _ in series[i:i + batch]]) for i in range(0, n_series, batch)]
        self.bounds = [(i, min(i + batch, n_series)) for i in range(0, n_series, batch)]

    def values(self, r: int) -> np.ndarray:
        gauge = np.round(self.base + self.amp * np.sin(0.05 * r + self.phase), 2)
        return np.where(self.kind == 0, self.base + r * self.inc, gauge)


def template(labelsets: list[dict[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A WriteRequest with one zero sample per series, and where each value and
    timestamp sits (the timestamp as a 6-byte varint: right for 2**35 <= ms < 2**42)."""
    parts, voff, toff, pos = [], [], [], 0
    for labels in labelsets:
        lb = b"".join(field(1, field(1, k.encode()) + field(2, v.encode())) for k, v in sorted(labels.items()))
        body = lb + b"\x12\x10\x09" + bytes(8) + b"\x10" + bytes(6)  # Sample{1: double value, 2: int64 timestamp}
        head = varint(1 << 3 | 2) + varint(len(body))
        voff.append(pos + len(head) + len(lb) + 3)
        toff.append(voff[-1] + 9)
        parts.append(head + body)
        pos += len(head) + len(body)
    return np.frombuffer(b"".join(parts), np.uint8).copy(), np.array(voff), np.array(toff)


def render(tpl: tuple[np.ndarray, np.ndarray, np.ndarray], values: np.ndarray, ts_ms: int) -> bytes:
    """The snappy-compressed request with ``values`` and ``ts_ms`` filled in."""
    buf, voff, toff = tpl
    out = buf.copy()
    out[voff[:, None] + np.arange(8)] = values.astype("<f8").view(np.uint8).reshape(-1, 8)
    out[toff[:, None] + np.arange(6)] = np.array([(ts_ms >> (7 * j)) & 0x7F | (0x80 if j < 5 else 0) for j in range(6)], np.uint8)
    return bytes(cramjam.snappy.compress_raw(out.tobytes()))
