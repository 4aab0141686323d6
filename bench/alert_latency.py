"""Alert latency: from a sample's acceptance to the webhook, ours against Prometheus + Alertmanager.

**Observer-Eye.** The embedded stack (``observer-eye run --no-agent`` on a free loopback
port: in-process bus, writer, evaluator, alert pipeline) with two rules, both ``for: 0s``:
``BenchStep`` (``last(bench_value{series="watched"}) > 50``) and a rule over the load
series that never fires (so every load sample is evaluated too), and a webhook receiver
routed (group_wait 0s, group_interval 1s) to a local receiver; the outbound guard
allows 127.0.0.1 only. A thread posts the steady load: ``--series`` series, one sample
each every ``--every-ms``. Then ``--steps`` times: post the step (100) for the watched
series; t0 = when its HTTP 2xx arrives, t1 = when the firing webhook arrives; post the
step back (1), wait for the resolved webhook, pause a random 0.2-1 s (so the steps do
not lock to any timer's phase), repeat. One warm-up step first (``--warmup``) is not
counted, on either side: the first alert of a process pays one-off costs.

**Prometheus + Alertmanager** (the Debian packages): Prometheus scrapes an exposition
endpoint this script serves (the watched series and as many load series as above) every
1 s, evaluates ``bench_value{series="watched"} > 50`` (``for: 0s``) every 1 s, and sends
to Alertmanager (group_wait 0s, group_interval 1s) whose webhook goes to the same
receiver. t0 = when the endpoint starts serving the step value, t1 = the webhook.

Everything is on 127.0.0.1, in a temporary directory, and stops by itself: each side
has a time budget (``--budget-s``), and every process started is terminated at the end.

    .venv/bin/python bench/alert_latency.py [--steps 20] [--warmup 1] [--series 100]
        [--every-ms 100] [--pipeline-tick-s 0.05] [--budget-s 120]

``--pipeline-tick-s`` is how often our pipeline flushes due groups (its default in
production is 1 s; group_wait 0s is served on the next tick). Prints three lines on
stdout; details go to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ALERT = "BenchStep"
HIGH, LOW, THRESHOLD = 100.0, 1.0, 50.0


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(xs: list[float], q: float) -> float:
    """Nearest rank: with 20 values p99 is the largest, as it should be."""
    ordered = sorted(xs)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass


class Receiver:
    """The webhook receiver of both systems: every POST, with its arrival time."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str, dict]] = []
        self.changed = threading.Condition()
        owner = self

        class Handler(_Quiet):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.monotonic()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {}
                with owner.changed:
                    owner.events.append((arrived, self.path, doc))
                    owner.changed.notify_all()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def mark(self) -> int:
        with self.changed:
            return len(self.events)

    def wait(self, path: str, status: str, since: int, timeout_s: float) -> float | None:
        """Arrival time of the first webhook on ``path`` after event ``since`` saying
        ``BenchStep`` is ``status``; None on timeout."""
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while True:
                for arrived, p, doc in self.events[since:]:
                    if p == path and _says(doc, status):
                        return arrived
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _says(doc: dict, status: str) -> bool:
    return any(a.get("status") == status and a.get("labels", {}).get("alertname") == ALERT for a in doc.get("alerts", []))


def stop_process(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_http(url: str, what: str, proc: subprocess.Popen, logfile: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}:\n{logfile.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} not ready within {timeout_s}s:\n{logfile.read_text()[-3000:]}")


# -- Observer-Eye -----------------------------------------------------------------------


class Load(threading.Thread):
    """Steady ingest: every ``every_s``, one sample for each of ``series`` series."""

    def __init__(self, url: str, key: str, series: int, every_s: float) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.series, self.every_s = url, key, series, every_s
        self.stop = threading.Event()
        self.samples = 0
        self.failures = 0
        self.started = self.ended = 0.0

    def run(self) -> None:
        rng = random.Random(1)
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=10.0) as client:
            self.started = time.monotonic()
            tick = 0
            while not self.stop.is_set():
                now_ms = int(time.time() * 1000)
                body = {"series": [{"name": "bench_load", "labels": {"series": str(i)},
                                    "samples": [[now_ms, rng.uniform(0, 10)]]} for i in range(self.series)]}
                try:
                    ok = client.post("/api/v1/ingest", json=body).status_code == 202
                except httpx.HTTPError:
                    ok = False
                if ok:
                    self.samples += self.series
                else:
                    self.failures += 1
                tick += 1
                self.stop.wait(max(0.0, self.started + tick * self.every_s - time.monotonic()))
            self.ended = time.monotonic()

    @property
    def rate(self) -> float:
        return self.samples / max(1e-9, (self.ended or time.monotonic()) - self.started)


def run_ours(args, receiver: Receiver, tmp: Path) -> tuple[list[float], float]:
    port = free_port()
    config = {"route": {"receiver": "bench", "group_by": ["alertname"], "group_wait": "0s",
                        "group_interval": "1s", "repeat_interval": "1h"},
              "receivers": [{"name": "bench", "webhook_configs": [{"url": f"http://127.0.0.1:{receiver.port}/oe"}]}]}
    (tmp / "alerting.json").write_text(json.dumps(config))
    env = {**os.environ, "OBSERVER_DATA_DIR": str(tmp / "oe"), "OBSERVER_ALERTING_CONFIG": str(tmp / "alerting.json"),
           "OBSERVER_OUTGOING_ALLOW": '["127.0.0.1/32"]', "OBSERVER_PIPELINE_TICK_S": str(args.pipeline_tick_s),
           "OBSERVER_LOG_LEVEL": "WARNING", "OBSERVER_HOST": "127.0.0.1"}
    for name in ("OBSERVER_BUS", "OBSERVER_CACHE", "OBSERVER_REPOSITORY", "OBSERVER_SAMPLE_STORE", "OBSERVER_TASKS",
                 "OBSERVER_WORKFLOWS", "OBSERVER_NOTIFIER", "OBSERVER_SCRAPE_CONFIG"):
        env.pop(name, None)  # the embedded defaults
    logfile = tmp / "observer-eye.log"
    with open(logfile, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "run", "--no-agent", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    load = None
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", "observer-eye", proc, logfile)
        key = (tmp / "oe" / "api-key").read_text().strip()
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10.0)
        for rule in ({"name": ALERT, "selector": 'bench_value{series="watched"}', "aggregation": "last", "window": "1m",
                      "op": ">", "threshold": THRESHOLD, "for": "0s"},
                     {"name": "BenchLoad", "selector": "bench_load", "aggregation": "avg", "window": "1m",
                      "op": ">", "threshold": 1e9, "for": "0s"}):
            r = client.post("/api/v1/rules", json=rule)
            assert r.status_code == 201, r.text

        def post(value: float) -> None:
            body = {"series": [{"name": "bench_value", "labels": {"series": "watched"},
                                "samples": [[int(time.time() * 1000), value]]}]}
            r = client.post("/api/v1/ingest", json=body)
            assert r.status_code == 202, r.text

        load = Load(url, key, args.series, args.every_ms / 1000)
        load.start()
        post(LOW)
        time.sleep(2.0)  # the load settles
        return _steps("observer-eye", "/oe", args, receiver, post, timeout_s=15.0), _finish(load)
    finally:
        if load is not None and load.is_alive():
            _finish(load)
        stop_process(proc)


def _finish(load: Load) -> float:
    load.stop.set()
    load.join(10)
    if load.failures:
        log(f"observer-eye: {load.failures} load requests failed")
    return load.rate


def _steps(name: str, path: str, args, receiver: Receiver, set_value: Callable[[float], None], timeout_s: float) -> list[float]:
    """The step scenario; ``set_value`` returns once the value is "in" (that is t0)."""
    rng = random.Random(2)
    latencies: list[float] = []
    deadline = time.monotonic() + args.budget_s
    for i in range(-args.warmup, args.steps):  # negative: warm-up steps, not measured
        if time.monotonic() > deadline:
            log(f"{name}: time budget spent after {i} steps")
            break
        since = receiver.mark()
        set_value(HIGH)
        t0 = time.monotonic()
        t1 = receiver.wait(path, "firing", since, timeout_s)
        if t1 is None:
            log(f"{name}: step {i}: no firing webhook within {timeout_s}s")
        elif i >= 0:
            latencies.append((t1 - t0) * 1000)
        else:
            log(f"{name}: warm-up step: {(t1 - t0) * 1000:.0f} ms (not counted)")
        since = receiver.mark()
        set_value(LOW)
        if receiver.wait(path, "resolved", since, timeout_s) is None:
            log(f"{name}: step {i}: no resolved webhook within {timeout_s}s")
        time.sleep(rng.uniform(0.2, 1.0))
    log(f"{name}: {len(latencies)} steps, latencies ms: {' '.join(f'{x:.0f}' for x in latencies)}")
    return latencies


# -- Prometheus + Alertmanager ----------------------------------------------------------


class Exposition:
    """The scrape target: the watched series' current value and the load series."""

    def __init__(self, series: int) -> None:
        self.value = LOW
        owner = self
        rng = random.Random(3)

        class Handler(_Quiet):
            def do_GET(self) -> None:
                lines = [f'bench_value{{series="watched"}} {owner.value}']
                lines += [f'bench_load{{series="{i}"}} {rng.uniform(0, 10):.4f}' for i in range(series)]
                body = ("\n".join(lines) + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_prometheus(args, receiver: Receiver, tmp: Path) -> list[float]:
    for binary in ("prometheus", "prometheus-alertmanager"):
        if shutil.which(binary) is None:
            raise SystemExit(f"{binary} is not installed (apt-get install prometheus prometheus-alertmanager)")
    # Prometheus scrapes once a second: 10x the series gives it the sample rate of our load.
    exposition = Exposition(args.series * round(1000 / args.every_ms))
    prom_port, am_port = free_port(), free_port()
    (tmp / "rules.yml").write_text(
        f"groups:\n- name: bench\n  interval: 1s\n  rules:\n  - alert: {ALERT}\n"
        f"    expr: bench_value{{series=\"watched\"}} > {THRESHOLD}\n    for: 0s\n")
    (tmp / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files: [{tmp / 'rules.yml'}]\n"
        f"alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['127.0.0.1:{am_port}']\n"
        f"scrape_configs:\n- job_name: bench\n  scrape_interval: 1s\n  static_configs:\n"
        f"  - targets: ['127.0.0.1:{exposition.port}']\n")
    (tmp / "alertmanager.yml").write_text(
        "route:\n  receiver: bench\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\n"
        "  repeat_interval: 1h\nreceivers:\n- name: bench\n  webhook_configs:\n"
        f"  - url: http://127.0.0.1:{receiver.port}/am\n    send_resolved: true\n")
    procs: list[subprocess.Popen] = []
    try:
        am_log, prom_log = tmp / "alertmanager.log", tmp / "prometheus.log"
        with open(am_log, "wb") as out:
            procs.append(subprocess.Popen(
                ["prometheus-alertmanager", f"--config.file={tmp / 'alertmanager.yml'}", f"--storage.path={tmp / 'am'}",
                 f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
                stdout=out, stderr=subprocess.STDOUT))
        wait_http(f"http://127.0.0.1:{am_port}/-/ready", "alertmanager", procs[-1], am_log)
        with open(prom_log, "wb") as out:
            procs.append(subprocess.Popen(
                ["prometheus", f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'prom'}",
                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                stdout=out, stderr=subprocess.STDOUT))
        wait_http(f"http://127.0.0.1:{prom_port}/-/ready", "prometheus", procs[-1], prom_log)
        query = f"http://127.0.0.1:{prom_port}/api/v1/query"
        deadline = time.monotonic() + 30
        while not httpx.get(query, params={"query": "bench_value"}).json()["data"]["result"]:
            if time.monotonic() > deadline:
                raise SystemExit(f"prometheus did not scrape the target:\n{prom_log.read_text()[-3000:]}")
            time.sleep(0.2)
        time.sleep(2.0)  # the rule has evaluated the low value a few times

        def set_value(v: float) -> None:
            exposition.value = v

        return _steps("prometheus+alertmanager", "/am", args, receiver, set_value, timeout_s=30.0)
    finally:
        for p in reversed(procs):
            stop_process(p)
        exposition.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=1, help="steps run first and not measured (each side)")
    parser.add_argument("--series", type=int, default=100, help="load series (one sample each per --every-ms)")
    parser.add_argument("--every-ms", type=int, default=100)
    parser.add_argument("--pipeline-tick-s", type=float, default=0.05)
    parser.add_argument("--budget-s", type=float, default=120.0, help="per system, for the steps")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="oe-alert-latency-"))
    receiver = Receiver()
    try:
        ours, rate = run_ours(args, receiver, tmp)
        theirs = run_prometheus(args, receiver, tmp)
    finally:
        receiver.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if not ours or not theirs:
        log("no latency measured on one side; see above")
        return 1
    o50, o99, p50, p99 = percentile(ours, 0.5), percentile(ours, 0.99), percentile(theirs, 0.5), percentile(theirs, 0.99)
    print(f"alert_latency p50_ms={o50:.1f} p99_ms={o99:.1f} load_samples_per_s={rate:.0f}")
    print(f"prometheus_alertmanager p50_ms={p50:.1f} p99_ms={p99:.1f}")
    print(f"latency_ratio_observer_eye_over_prometheus p50={o50 / p50:.3f} p99={o99 / p99:.3f} (lower is better for observer-eye)")
    log(f"steps: observer-eye {len(ours)}, prometheus {len(theirs)}; pipeline tick {args.pipeline_tick_s}s; "
        f"load {args.series} series every {args.every_ms} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
