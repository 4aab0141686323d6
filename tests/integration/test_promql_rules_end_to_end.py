"""PromQL rules end to end, in a real ``observer-eye api`` process (Django on SQLite,
the SQLite sample store, the in-process bus with its consumers and the rule manager):
a Prometheus rule file imported through the API, samples sent through the ingest API;
the alerting rule fires through the alert pipeline into an incident, and the recording
rule's series (and ALERTS) are queryable through the Prometheus API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.test_embedded_stack import ROOT, _free_port, _until
from tests.support.process import interrupt

RULES = """
groups:
- name: orders
  interval: 1s
  rules:
  - record: queue:depth:max
    expr: max by (queue) (queue_depth)
  - alert: QueueBacklog
    expr: queue:depth:max > 100
    for: 2s
    labels:
      severity: critical
    annotations:
      summary: "{{ $labels.queue }} backlog at {{ $value | humanize }}"
"""


def test_a_promql_alert_opens_an_incident_and_a_recording_is_queryable(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVER_")}
    env |= {"OBSERVER_PORT": str(port), "OBSERVER_DATA_DIR": str(tmp_path / "var"), "OBSERVER_AGENT": "false",
            "OBSERVER_REPOSITORY": "django", "OBSERVER_SAMPLE_STORE": "sqlite", "OBSERVER_RULES_REFRESH_S": "0.5",
            "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "entrypoints.cli"]
    migrate = subprocess.run([*cli, "admin", "migrate"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    log = open(tmp_path / "api.log", "wb")
    proc = subprocess.Popen([*cli, "api"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: httpx.get(f"{base}/readyz", timeout=2), lambda r: r.status_code == 200, 60, "readiness")
        key = (tmp_path / "var" / "api-key").read_text().strip()
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10)

        imported = client.post("/api/v1/rule-groups/import", params={"source": "orders.rules.yml"}, content=RULES,
                               headers={"Content-Type": "application/yaml"})
        assert imported.status_code == 201, imported.text
        now_ms = int(time.time() * 1000)
        sent = client.post("/api/v1/ingest", json={"series": [
            {"name": "queue_depth", "labels": {"queue": "orders", "shard": "1"}, "samples": [[now_ms, 150]]},
            {"name": "queue_depth", "labels": {"queue": "orders", "shard": "2"}, "samples": [[now_ms, 90]]},
            {"name": "queue_depth", "labels": {"queue": "billing", "shard": "1"}, "samples": [[now_ms, 3]]},
        ]})
        assert sent.status_code == 202, sent.text

        incident = _until(lambda: client.get("/api/v1/incidents").json()["data"], lambda d: len(d) == 1, 60,
                          "an incident")[0]
        assert incident["title"] == "orders backlog at 150"
        assert incident["severity"] == "SEV1"  # severity: critical

        recorded = client.post("/prometheus/api/v1/query", data={"query": "queue:depth:max"}).json()
        assert recorded["status"] == "success"
        assert sorted((r["metric"]["queue"], r["value"][1]) for r in recorded["data"]["result"]) == [
            ("billing", "3"), ("orders", "150")]
        firing = client.get("/prometheus/api/v1/query", params={"query": 'ALERTS{alertstate="firing"}'}).json()
        assert [r["metric"]["alertname"] for r in firing["data"]["result"]] == ["QueueBacklog"]

        (group,) = client.get("/prometheus/api/v1/rules").json()["data"]["groups"]
        assert (group["name"], group["file"], group["interval"]) == ("orders", "orders.rules.yml", 1.0)
        assert [r["health"] for r in group["rules"]] == ["ok", "ok"]
        assert group["rules"][1]["state"] == "firing"
        alerts = client.get("/prometheus/api/v1/alerts").json()["data"]["alerts"]
        assert [(a["labels"]["queue"], a["state"]) for a in alerts] == [("orders", "firing")]
    finally:
        interrupt(proc)
        log.close()
