"""Notification delivery through Celery on Redis, with real worker processes.

* the whole path: a firing alert goes through the pipeline, its notification is queued
  on Celery, a worker delivers it to a local webhook receiver that checks the HMAC
  signature and fails twice: retried with backoff, exactly one message arrives;
  queueing the same key again, or a stray duplicate task, sends nothing more;
* two workers racing on the same key (two tasks, one idempotency key, a slow
  receiver): one message.

Redis must run at 127.0.0.1:6379 (or OBSERVER_TEST_REDIS_URL): without it these tests
fail, they never skip. Each test uses its own Celery queue, which also namespaces the
idempotency keys in Redis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from domain.alerts.fingerprint import fingerprint
from domain.alerts.grouping import GroupedAlert, GroupNotification
from domain.alerts.state import AlertState, AlertTransition
from domain.metrics.labels import LabelSet
from domain.notifications.templates import AlertView
from entrypoints.container import build_container
from entrypoints.settings import Settings
from services.delivery_jobs import NOTIFY_TASK, build_job
from tests.notify_receivers import HttpReceiver

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("OBSERVER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET = "hmac-s3cret"
LABELS = LabelSet.of({"alertname": "DiskFull", "host": "a", "severity": "critical"})


@pytest.fixture(scope="module")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}); the Celery integration tests need it: "
                    "start redis-server (make test does) or set OBSERVER_TEST_REDIS_URL", pytrace=False)
    return REDIS_URL


class Worker:
    """``celery -A entrypoints.celery_app worker`` in a subprocess, logging to a file."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "entrypoints.celery_app", "worker", "--pool=solo", "--concurrency=1",
             "-Q", env["OBSERVER_CELERY_QUEUE"], "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=self._file, stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while " ready." not in self.text():
            if self.proc.poll() is not None:
                raise AssertionError(f"the Celery worker exited with {self.proc.returncode}:\n{self.text()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the Celery worker was not ready in {timeout_s}s:\n{self.text()[-4000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._file.close()


class Setup:
    def __init__(self, tmp: Path, redis_url: str, receiver: HttpReceiver) -> None:
        self.tmp = tmp
        self.queue = f"oe-test-{uuid.uuid4().hex[:10]}"
        config = tmp / "alerting.json"
        config.write_text(json.dumps({
            "route": {"receiver": "hook", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1m",
                      "repeat_interval": "4h"},
            "receivers": [{"name": "hook", "webhook_configs": [{"url": receiver.url(), "secret": SECRET}]}],
        }))
        self.settings = dict(tasks="celery", celery_broker_url=redis_url, celery_queue=self.queue, alerting_config=config,
                             outgoing_allow=["127.0.0.1/32"], task_backoff_s=0.2, task_backoff_max_s=2.0,
                             data_dir=tmp, agent=False)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "OBSERVER_TASKS": "celery", "OBSERVER_CELERY_BROKER_URL": redis_url,
                    "OBSERVER_CELERY_QUEUE": self.queue, "OBSERVER_ALERTING_CONFIG": str(config),
                    "OBSERVER_OUTGOING_ALLOW": '["127.0.0.1/32"]', "OBSERVER_TASK_BACKOFF_S": "0.2",
                    "OBSERVER_TASK_BACKOFF_MAX_S": "2", "OBSERVER_DATA_DIR": str(tmp), "OBSERVER_AGENT": "false"}
        self.workers: list[Worker] = []
        self.container = build_container(Settings(**self.settings))

    def worker(self, name: str) -> Worker:
        w = Worker(name, self.env, self.tmp / f"{name}.log")
        self.workers.append(w)
        return w

    def close(self, redis_url: str) -> None:
        for w in self.workers:
            w.stop()
        self.container.task_queue().close()
        r = redis.Redis.from_url(redis_url)
        for key in r.scan_iter(f"*{self.queue}*"):  # ledger, queue keys, the queue and kombu's bindings
            r.delete(key)


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    r = HttpReceiver(secret=SECRET)
    yield r
    r.close()


@pytest.fixture
def setup(tmp_path: Path, redis_url: str, receiver: HttpReceiver) -> Iterator[Setup]:
    s = Setup(tmp_path, redis_url, receiver)
    yield s
    s.close(redis_url)


def wait_until(predicate, timeout_s: float, what: str, logs=lambda: "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in {timeout_s}s\n{logs()[-4000:]}")
        time.sleep(0.05)


async def test_a_notification_failing_twice_is_retried_and_sent_exactly_once(setup: Setup, receiver: HttpReceiver):
    receiver.script = [503, 503]
    worker = setup.worker("w1")
    worker.wait_ready()
    pipeline = setup.container.pipeline()
    queue = setup.container.task_queue()
    payloads: list[dict] = []
    enqueue = queue.enqueue

    async def recording_enqueue(name, payload, *, idempotency_key, delay_s=0.0):
        payloads.append(dict(payload))
        return await enqueue(name, payload, idempotency_key=idempotency_key, delay_s=delay_s)

    queue.enqueue = recording_enqueue  # type: ignore[method-assign]
    t = AlertTransition(fingerprint(LABELS), AlertState.INACTIVE, AlertState.FIRING, int(time.time() * 1000), LABELS, 0.99,
                        "default", "r1")
    await pipeline.process(t, {"summary": "disk full on a"})
    await pipeline.tick()  # group_wait 0s: flushed and queued on Celery now
    [queued] = await setup.container.notifications().deliveries("default")
    wait_until(lambda: receiver.accepted(), 30, "the delivery", worker.text)
    time.sleep(1.0)  # room for a wrong second delivery to show up
    assert [r.status for r in receiver.requests] == [503, 503, 200]
    [message] = receiver.accepted()
    assert message.headers["x-observer-idempotency-key"] == queued.key  # signature checked by the receiver
    body = message.json()
    assert body["status"] == "firing" and body["alerts"][0]["annotations"]["summary"] == "disk full on a"
    assert worker.text().count("retrying in") == 2

    # The same key again is refused by the queue; a stray duplicate task sends nothing.
    [payload] = payloads
    assert payload["key"] == queued.key and SECRET not in json.dumps(payload)  # no secrets through the broker
    assert await queue.enqueue(NOTIFY_TASK, payload, idempotency_key=queued.key) is False
    stray_task(setup, payload).get(timeout=30)
    assert len(receiver.requests) == 3 and len(receiver.accepted()) == 1
    assert "already delivered" in worker.text()


def stray_task(setup: Setup, payload: dict):
    """A task sent behind the queue's back (a redelivery, a second replica's copy)."""
    queue = setup.container.task_queue()
    return queue.app.send_task(NOTIFY_TASK, args=[payload], task_id=str(uuid.uuid4()), queue=setup.queue)


def a_job_payload(setup: Setup) -> dict:
    cfg = setup.container.alerting_config()
    n = GroupNotification("feedfacefeedface", "hook", (GroupedAlert(fingerprint(LABELS), LABELS),), (),
                          int(time.time() * 1000), LabelSet.of({"alertname": "DiskFull"}))
    view = AlertView(fingerprint(LABELS), "firing", LABELS, {"summary": "disk full on a"})
    return build_job("default", n, cfg.channel("hook", "webhook-0"), [view], []).to_payload()


async def test_two_workers_racing_on_one_key_send_one_message(setup: Setup, receiver: HttpReceiver):
    receiver.delay_s = 3.0  # the first worker holds the key this long
    workers = [setup.worker("w1"), setup.worker("w2")]
    for w in workers:
        w.wait_ready()
    payload = a_job_payload(setup)
    results = [stray_task(setup, payload) for _ in range(2)]
    for r in results:
        r.get(timeout=60)
    time.sleep(0.5)
    logs = "\n".join(w.text() for w in workers)
    assert len(receiver.requests) == 1 and len(receiver.accepted()) == 1, logs[-4000:]
    assert receiver.accepted()[0].headers["x-observer-idempotency-key"] == payload["key"]
    # Both workers took one task: one sent, the other found the key busy, backed off,
    # then found it delivered.
    assert all("notify.deliver" in w.text() and "succeeded" in w.text() for w in workers), logs[-4000:]
    assert "another worker is sending it" in logs and "already delivered" in logs
