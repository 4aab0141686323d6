"""This host's CPU, memory, disk and network metrics, read with psutil, in the native
ingest format (what an agent POSTs to /api/v1/ingest).

Names follow the OpenTelemetry host-metrics conventions, in Prometheus spelling.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import psutil

# Pseudo and container file systems say nothing about disk space.
_SKIP_FSTYPES = {"tmpfs", "devtmpfs", "overlay", "squashfs", "proc", "sysfs", "cgroup", "cgroup2", "nsfs", "autofs", "devpts", "mqueue", "fuse.lxcfs"}


def _series(name: str, labels: dict[str, str], value: float, ts: int, kind: str = "gauge", unit: str = "") -> dict[str, Any]:
    return {"name": name, "labels": labels, "kind": kind, "unit": unit, "samples": [[ts, value]]}


class HostCollector:
    def __init__(self, host: str | None = None, max_disks: int = 16, max_nics: int = 16) -> None:
        self.host = host or socket.gethostname()
        self._max_disks = max_disks
        self._max_nics = max_nics
        psutil.cpu_percent(percpu=True)  # prime: the first reading compares against this one

    def collect(self) -> list[dict[str, Any]]:
        ts = time.time_ns() // 1_000_000
        base = {"host": self.host, "job": "observer-eye-agent"}
        out: list[dict[str, Any]] = []
        per_cpu = psutil.cpu_percent(percpu=True)
        for i, pct in enumerate(per_cpu):
            out.append(_series("system_cpu_utilization_ratio", base | {"cpu": str(i)}, pct / 100, ts, unit="ratio"))
        if per_cpu:
            out.append(_series("system_cpu_utilization_ratio", base | {"cpu": "total"}, sum(per_cpu) / len(per_cpu) / 100, ts, unit="ratio"))
        out.append(_series("system_cpu_count", base, float(os.cpu_count() or 0), ts))
        if hasattr(os, "getloadavg"):
            for window, value in zip(("1m", "5m", "15m"), os.getloadavg()):
                out.append(_series("system_cpu_load_average", base | {"window": window}, value, ts))

        mem = psutil.virtual_memory()
        for state in ("used", "available", "total"):
            out.append(_series("system_memory_bytes", base | {"state": state}, float(getattr(mem, state)), ts, unit="bytes"))
        out.append(_series("system_memory_utilization_ratio", base, mem.percent / 100, ts, unit="ratio"))
        swap = psutil.swap_memory()
        out.append(_series("system_swap_bytes", base | {"state": "used"}, float(swap.used), ts, unit="bytes"))

        seen: set[str] = set()
        for part in psutil.disk_partitions(all=False):
            if part.fstype in _SKIP_FSTYPES or part.device in seen or len(seen) >= self._max_disks:
                continue
            seen.add(part.device)
            try:
                usage = psutil.disk_usage(part.mountpoint)
            except OSError:
                continue
            labels = base | {"mountpoint": part.mountpoint, "device": part.device}
            out.append(_series("system_filesystem_bytes", labels | {"state": "used"}, float(usage.used), ts, unit="bytes"))
            out.append(_series("system_filesystem_bytes", labels | {"state": "free"}, float(usage.free), ts, unit="bytes"))
            out.append(_series("system_filesystem_utilization_ratio", labels, usage.percent / 100, ts, unit="ratio"))

        disks = psutil.disk_io_counters(perdisk=True) or {}
        for dev, io in list(sorted(disks.items()))[: self._max_disks]:
            labels = base | {"device": dev}
            out.append(_series("system_disk_io_bytes_total", labels | {"direction": "read"}, float(io.read_bytes), ts, "counter", "bytes"))
            out.append(_series("system_disk_io_bytes_total", labels | {"direction": "write"}, float(io.write_bytes), ts, "counter", "bytes"))

        nics = psutil.net_io_counters(pernic=True) or {}
        for nic, io in list(sorted(nics.items()))[: self._max_nics]:
            labels = base | {"device": nic}
            out.append(_series("system_network_io_bytes_total", labels | {"direction": "receive"}, float(io.bytes_recv), ts, "counter", "bytes"))
            out.append(_series("system_network_io_bytes_total", labels | {"direction": "transmit"}, float(io.bytes_sent), ts, "counter", "bytes"))
            out.append(_series("system_network_packets_total", labels | {"direction": "receive"}, float(io.packets_recv), ts, "counter"))
            out.append(_series("system_network_packets_total", labels | {"direction": "transmit"}, float(io.packets_sent), ts, "counter"))
            out.append(_series("system_network_errors_total", labels | {"direction": "receive"}, float(io.errin), ts, "counter"))
            out.append(_series("system_network_errors_total", labels | {"direction": "transmit"}, float(io.errout), ts, "counter"))
        return out
