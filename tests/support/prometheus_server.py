"""A real Prometheus for the tests and benchmarks: Debian's ``prometheus`` (2.42, as
``scripts/services.sh`` installs it) on a free port of 127.0.0.1 with its own data
directory, fed by remote write (which carries staleness markers bit for bit) or
started on blocks made with ``promtool tsdb create-blocks-from openmetrics``.
A missing binary or a server that does not come up is an error, never a skip."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import cramjam
import httpx
import numpy as np

from tests.support.process import ChildProcess
from tests.support.tansu import free_port
from tests.unit.http.protoenc import rw1_request, rw1_series

CONFIG = "global:\n  scrape_interval: 1h\n  evaluation_interval: 1m\n"


def binary(name: str) -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if found is None:
        raise RuntimeError(f"{name} is not installed: apt-get install prometheus (scripts/services.sh does it)")
    return found


class PrometheusServer(ChildProcess):
    def __init__(self, data_dir: Path, *, remote_write: bool = True, rules: str | None = None,
                 evaluation_interval: str = "1m") -> None:
        """``rules``: a rule file the server loads (evaluated every ``evaluation_interval``)."""
        self.data_dir = data_dir
        self._rules = rules
        self._evaluation_interval = evaluation_interval
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._remote_write = remote_write
        self._log = tempfile.NamedTemporaryFile(prefix="prometheus-", suffix=".log", delete=False)
        self._proc: subprocess.Popen[bytes] | None = None
        self._client = httpx.Client(base_url=self.base, timeout=600)

    def start(self, timeout_s: float = 60.0) -> "PrometheusServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "prometheus.yml"
        text = CONFIG.replace("evaluation_interval: 1m", f"evaluation_interval: {self._evaluation_interval}")
        if self._rules is not None:
            (self.data_dir / "rules.yml").write_text(self._rules)
            text += f"rule_files:\n  - {self.data_dir / 'rules.yml'}\n"
        config.write_text(text)
        cmd = [binary("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
               f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=100y",
               "--log.level=warn"]
        if self._remote_write:
            cmd.append("--web.enable-remote-write-receiver")
        self._proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self._proc.returncode}: {self.log_tail()}")
            try:
                if self._client.get("/-/ready", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"prometheus did not become ready on {self.base} in {timeout_s}s: {self.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        super().stop()
        self._client.close()

    def remote_write(self, series: Sequence[tuple[dict[str, str], np.ndarray, np.ndarray]], slice_ms: int = 600_000) -> None:
        """Every sample of ``series`` (labels with ``__name__``, timestamps, values), sent
        in time slices so that no sample is older than the head accepts."""
        lo = min(int(ts[0]) for _, ts, _ in series if ts.size)
        hi = max(int(ts[-1]) for _, ts, _ in series if ts.size)
        for start in range(lo - lo % slice_ms, hi + 1, slice_ms):
            batch = []
            for labels, ts, vs in series:
                a, b = np.searchsorted(ts, start), np.searchsorted(ts, start + slice_ms)
                if b > a:
                    batch.append(rw1_series(labels, list(zip(ts[a:b].tolist(), vs[a:b].tolist()))))
            if batch:
                body = bytes(cramjam.snappy.compress_raw(rw1_request(batch)))
                resp = self._client.post("/api/v1/write", content=body, headers={
                    "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
                    "X-Prometheus-Remote-Write-Version": "0.1.0"})
                if resp.status_code >= 300:
                    raise RuntimeError(f"prometheus refused a remote write: {resp.status_code} {resp.text}")

    def query(self, query: str, time_ms: int) -> dict:
        return self._client.post("/api/v1/query", data={"query": query, "time": f"{time_ms / 1000:.3f}"}).json()

    def query_range(self, query: str, start_ms: int, end_ms: int, step_ms: int) -> dict:
        return self._client.post("/api/v1/query_range", data={
            "query": query, "start": f"{start_ms / 1000:.3f}", "end": f"{end_ms / 1000:.3f}", "step": f"{step_ms / 1000:.3f}",
        }).json()

    def get(self, path: str, params: dict | None = None) -> httpx.Response:
        return self._client.get(path, params=params)

    def post(self, path: str, data: dict | None = None) -> httpx.Response:
        return self._client.post(path, data=data)


def create_blocks(openmetrics: Iterable[str], out_dir: Path) -> None:
    """``promtool tsdb create-blocks-from openmetrics`` over the given text lines."""
    source = out_dir.parent / "data.om"
    with source.open("w") as f:
        f.writelines(openmetrics)
    done = subprocess.run([binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source), str(out_dir)],
                          capture_output=True, text=True)
    source.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"promtool failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
