"""The same live route change across processes, on the production adapters: the API
(``observer-eye api``) and the alert pipeline (``observer-eye consume --group
pipeline``) as child processes, alerts on Kafka (tansu), the change's announcement on
Redis pub/sub, routing in their shared database (SQLite in the data directory; child
processes, because Django is configured once per process and this test process may
have configured it for another database already). The consumer's routing cache is an hour: only the announcement,
heard by its config watcher, can make it route the next alert to the new receiver."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.integration.test_routing_live_change import alert, names
from tests.notify_receivers import HttpReceiver
from tests.support.pipeline import ROOT, ConsumerProcess, kafka_redis_settings, wait_for
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.tansu import Tansu, free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def tansu() -> Iterator[Tansu]:
    with Tansu() as broker:
        yield broker


@pytest.fixture
def redis_env() -> Iterator[tuple[str, str]]:
    url, prefix = redis_url(), unique_prefix()
    yield url, prefix
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def arrived(received, alertname: str, where: str, pipeline: ConsumerProcess) -> None:
    try:
        wait_for(received, lambda n: alertname in n, 120, f"{alertname} at {where}", [pipeline])
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nthe pipeline process' log:\n{pipeline.log()[-4000:]}") from None


def test_the_pipeline_process_routes_the_next_alert_by_a_route_changed_in_the_api(tansu, redis_env, tmp_path: Path):
    url, prefix = redis_env
    # No member is killed here: a session long enough that a busy machine's late heartbeat
    # does not set off rebalances (the helper's 2 s is for noticing killed members).
    settings = kafka_redis_settings(tansu.bootstrap, url, prefix, tmp_path / "var") | {
        "repository": "django", "routing_cache_s": 3600, "pipeline_tick_s": 0.2, "kafka_session_timeout_ms": 10_000,
        "outgoing_allow": '["127.0.0.1/32"]'}
    data_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVER_")}
    migrated = subprocess.run([sys.executable, "-m", "entrypoints.cli", "admin", "migrate", "--verbosity", "0"], cwd=ROOT,
                              env=env | {"OBSERVER_DATA_DIR": str(data_dir), "OBSERVER_REPOSITORY": "django"},
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    old, new = HttpReceiver(), HttpReceiver()
    port = free_port()
    # The pipeline group never opens the sample store: its URL is never used.
    pipeline = ConsumerProcess(settings, "postgresql://unused", tmp_path / "pipeline.log", group="pipeline")
    api_env = {**pipeline.env, "OBSERVER_PORT": str(port), "OBSERVER_SAMPLE_STORE": "sqlite"}
    api_log = open(tmp_path / "api.log", "ab")
    api = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "api"], cwd=ROOT, env=api_env, stdout=api_log,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    api_log.close()
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert api.poll() is None, (tmp_path / "api.log").read_text()[-3000:]
            try:
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, bool, 120, "the API answering")
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {(data_dir / 'api-key').read_text().strip()}"},
                              timeout=10)
        for name, receiver in (("old", old), ("new", new)):
            made = client.post("/api/v1/receivers", json={"name": name, "webhook_configs": [{"url": receiver.url()}]})
            assert made.status_code == 201, made.text
        timing = {"group_by": ["alertname"], "group_wait": "0s", "group_interval": "1s", "repeat_interval": "1h"}
        tree = client.get("/api/v1/routing/tree")
        put = client.put("/api/v1/routing/tree", json={"route": {"receiver": "old", **timing}},
                         headers={"If-Match": tree.headers["etag"]})
        assert put.status_code == 200, put.text

        pipeline.start()
        pipeline.wait_assigned(120)
        assert client.post("/api/v1/integrations/alertmanager", json=alert("FirstAlert")).status_code == 200
        arrived(lambda: names(old), "FirstAlert", "the old receiver", pipeline)

        switched = client.put("/api/v1/routing/tree", json={"route": {"receiver": "new", **timing}},
                              headers={"If-Match": put.headers["etag"]})
        assert switched.status_code == 200, switched.text
        assert client.post("/api/v1/integrations/alertmanager", json=alert("SecondAlert")).status_code == 200
        arrived(lambda: names(new), "SecondAlert", "the new receiver", pipeline)
        assert "SecondAlert" not in names(old)
        assert pipeline.terminate() == 0
    finally:
        pipeline.stop_if_running()
        api.terminate()
        api.wait(30)
        old.close()
        new.close()
