"""`observer-eye run` (what `make run` starts) on its embedded defaults, as a user meets
it: Django on SQLite, the SQLite sample store, the Temporal dev server with the worker in
process, the local agent, and the admin on its own port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(fetch, ok, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = fetch()
            if ok(last):
                return last
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{what} not seen in {timeout_s}s; last: {last!r}")


def test_make_run_serves_host_metrics_incidents_on_temporal_and_the_admin(tmp_path: Path) -> None:
    port, admin_port, temporal_port = _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVER_")}
    env |= {"OBSERVER_PORT": str(port), "OBSERVER_ADMIN_PORT": str(admin_port),
            "OBSERVER_TEMPORAL_DEV_PORT": str(temporal_port), "OBSERVER_DATA_DIR": str(tmp_path / "var"),
            "OBSERVER_AGENT_INTERVAL_S": "1"}
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "run"], cwd=tmp_path, env=env | {"PYTHONPATH": str(ROOT)},
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: httpx.get(f"{base}/readyz", timeout=2), lambda r: r.status_code == 200, 90, "readiness")
        key = (tmp_path / "var" / "api-key").read_text().strip()
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10)

        # The local agent's host metrics arrive through the ingest API.
        series = _until(lambda: client.get("/api/v1/series").json()["data"],
                        lambda d: {"system_cpu_utilization_ratio", "system_memory_bytes", "system_network_io_bytes_total"}
                        <= {s["__name__"] for s in d}, 60, "host series")
        assert all(s.get("job") == "observer-eye-agent" for s in series)

        # A rule on a host metric opens an incident whose workflow runs on Temporal.
        rule = client.post("/api/v1/rules", json={"name": "HostHasCPUs", "selector": "system_cpu_count",
                                                  "aggregation": "last", "window": "30s", "op": ">", "threshold": 0})
        assert rule.status_code == 201, rule.text
        incident = _until(lambda: client.get("/api/v1/incidents").json()["data"], lambda d: len(d) == 1, 60, "incident")[0]
        detail = _until(lambda: client.get(f"/api/v1/incidents/{incident['id']}").json()["data"],
                        lambda d: d.get("workflow") is not None, 30, "workflow state")
        assert detail["status"] == "triggered"
        acked = client.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
        assert acked.status_code == 200, acked.text
        assert acked.json()["data"]["status"] == "acknowledged"

        # The admin answers with its sign-in page; the generated password is on disk.
        assert httpx.get(f"http://127.0.0.1:{admin_port}/admin/login/", timeout=5).status_code == 200
        password_file = tmp_path / "var" / "admin-password"
        assert password_file.stat().st_mode & 0o077 == 0

        # The same user and password sign in to the API; the session cookie then works.
        with httpx.Client(base_url=base, timeout=10) as browser:
            login = browser.post("/api/v1/auth/login",
                                 json={"username": "admin", "password": password_file.read_text().strip()})
            assert login.status_code == 200, login.text
            me = browser.get("/api/v1/auth/me").json()["data"]
            assert (me["username"], me["role"], me["platform_admin"], me["auth"]) == ("admin", "admin", True, "local")

        # The host agent has an ingest-only key of its own; the operator's key is an admin
        # key that expires (so compliance control OE-IAM-03 passes on a fresh install).
        agent_key = (tmp_path / "var" / "agent-key").read_text().strip()
        assert agent_key != key
        as_agent = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {agent_key}"}).json()["data"]
        assert as_agent["permissions"] == ["telemetry:ingest"]
        keys = client.get("/api/v1/api-keys").json()["data"]
        assert len(keys) == 2 and all(k["expires_at_ms"] for k in keys)
        client.post("/api/v1/compliance/evaluate")
        controls = {c["id"]: c["status"] for c in client.get("/api/v1/compliance/controls").json()["data"]}
        assert controls["OE-IAM-03"] == "pass"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
    assert proc.returncode is not None
