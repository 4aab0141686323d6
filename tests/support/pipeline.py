"""Pieces of the production pipeline for the integration tests: the API on a real port,
consumer processes that can be killed, and direct reads of the durable sample store."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import uvicorn

from adapters.postgres import PostgresSampleStore
from domain.metrics.query import Selector
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from tests.support.tansu import free_port

ROOT = Path(__file__).resolve().parents[2]


def kafka_redis_settings(bootstrap: str, redis_url: str, redis_prefix: str, data_dir: Path) -> dict[str, Any]:
    """The production adapters, tuned for a test broker (tansu: no idempotent producer;
    a short session so a killed member is noticed in about two seconds)."""
    return {
        "bus": "kafka", "kafka_bootstrap": bootstrap, "kafka_idempotence": False, "kafka_session_timeout_ms": 2000,
        "bus_partitions": 4, "cache": "redis", "redis_url": redis_url, "redis_prefix": redis_prefix,
        "data_dir": data_dir, "agent": False,
    }


class Api:
    """The API (``observer-eye api``'s app) on a free port (or ``port``), in a thread of this process."""

    def __init__(self, **settings: Any) -> None:
        self.settings = Settings(**{"port": free_port(), **settings})
        self.container = build_container(self.settings)
        app = build_app(self.container)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.settings.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.settings.port}"

    def __enter__(self) -> "Api":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API did not start (is the broker up?)")
            time.sleep(0.05)
        self.key = self.settings.api_key_file.read_text().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


class ConsumerProcess:
    """``observer-eye consume --group G`` as a child process on the PostgreSQL sample
    store: ``python -m entrypoints.consume``, or warm (tests/support/consumer_process.py)."""

    def __init__(self, settings: dict[str, Any], postgres_url: str, log_path: Path, group: str = "writer", *, flush_interval_s: float = 0.25) -> None:
        self.env = {**os.environ, "OBSERVER_LOG_LEVEL": "INFO"}
        self.env.update({f"OBSERVER_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v) for k, v in settings.items()})
        self.env.update({"OBSERVER_SAMPLE_STORE": "postgres", "OBSERVER_SAMPLES_DATABASE_URL": postgres_url,
                         "OBSERVER_SAMPLES_FLUSH_INTERVAL_S": str(flush_interval_s)})
        self.log_path = log_path
        self.group = group
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, warm: bool = False) -> "ConsumerProcess":
        """Start it; ``warm``: imported but waiting for ``go()`` before joining its group."""
        module = "tests.support.consumer_process" if warm else "entrypoints.consume"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", module, "--group", self.group], cwd=ROOT, env=self.env,
                                     stdin=subprocess.PIPE if warm else subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> "ConsumerProcess":
        """A warm process has imported everything and waits for ``go()``."""
        deadline = time.monotonic() + timeout_s
        while "ready" not in self.log().splitlines():
            self.check_alive()
            assert time.monotonic() < deadline, f"the {self.group} process never got ready:\n{self.log()[-3000:]}"
            time.sleep(0.05)
        return self

    def go(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def assignments(self) -> list[str]:
        return [line.split("assigned ", 1)[1] for line in self.log().splitlines() if f"group {self.group}: assigned" in line]

    def wait_assigned(self, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.assignments():
            self.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"the {self.group} process got no partitions in {timeout_s}s:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def stop_if_running(self) -> None:
        """Teardown: whatever a failed test left behind does not outlive it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the {self.group} process exited with {self.proc.returncode}:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout_s: float = 30.0) -> int:
        """SIGTERM, the graceful stop; returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError(f"the {self.group} process ignored SIGTERM for {timeout_s}s:\n{self.log()[-3000:]}")
        return self.proc.returncode


def stored_samples(postgres_url: str, tenant: str, metric: str, start_ms: int, end_ms: int) -> dict[tuple[tuple[str, str], ...], list[tuple[int, float]]]:
    """What the PostgreSQL sample store holds for ``metric``, read by a store of its own."""

    async def read():
        store = PostgresSampleStore(postgres_url)
        try:
            data = await store.select(tenant, Selector(metric), start_ms, end_ms)
        finally:
            await store.close()
        return {d.key.labels.pairs: [(s.timestamp_ms, s.value) for s in d.samples] for d in data}

    return asyncio.run(read())


def stored_positions(postgres_url: str) -> int:
    """Sum of the writer's stored next offsets: grows whenever it flushes progress."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        return int(conn.execute("SELECT coalesce(sum(next_offset), 0) FROM oe_offsets").fetchone()[0])


def wait_for(fetch, predicate, timeout_s: float, what: str, processes: list[ConsumerProcess] = ()):
    deadline = time.monotonic() + timeout_s
    while True:
        value = fetch()
        if predicate(value):
            return value
        for p in processes:
            p.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout_s}s; last value: {str(value)[:500]}")
        time.sleep(0.2)
