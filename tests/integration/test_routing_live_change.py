"""A route changed through the API takes effect in the running pipeline, no restart:
the API server runs its consumers (the pipeline among them) and the config watcher; an
alert goes to receiver ``old``; the routing tree is switched to ``new`` over HTTP; the
next alert goes to ``new``. The routing cache is set to an hour, so only the change's
announcement can have made the pipeline re-read it."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import uvicorn

from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from tests.integration.test_first_slice import _free_port, wait_for
from tests.notify_receivers import HttpReceiver

pytestmark = pytest.mark.integration


def alert(name: str) -> dict:
    starts = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    return {"version": "4", "groupKey": "{}", "status": "firing", "receiver": "observer", "groupLabels": {},
            "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
            "alerts": [{"status": "firing", "labels": {"alertname": name, "severity": "critical"},
                        "annotations": {"summary": f"{name} fired"}, "startsAt": starts,
                        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph", "fingerprint": name}]}


def names(receiver: HttpReceiver) -> list[str]:
    return [a["labels"]["alertname"] for r in receiver.accepted() for a in r.json()["alerts"]]


def test_a_route_changed_through_the_api_routes_the_next_alert_without_a_restart(tmp_path: Path) -> None:
    import threading

    old, new = HttpReceiver(secret="old-secret"), HttpReceiver(secret="new-secret")
    settings = Settings(port=_free_port(), data_dir=tmp_path, agent=False, outgoing_allow=["127.0.0.1/32"],
                        routing_cache_s=3600, pipeline_tick_s=0.2)
    container = build_container(settings)
    server = uvicorn.Server(uvicorn.Config(build_app(container), host="127.0.0.1", port=settings.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, bool, 15)
        key = settings.api_key_file.read_text().strip()
        client = httpx.Client(base_url=f"http://127.0.0.1:{settings.port}", headers={"Authorization": f"Bearer {key}"},
                              timeout=10)
        for name, receiver, secret in (("old", old, "old-secret"), ("new", new, "new-secret")):
            made = client.post("/api/v1/receivers", json={"name": name, "webhook_configs": [
                {"url": receiver.url(), "secret": secret}]})
            assert made.status_code == 201, made.text
        tree = client.get("/api/v1/routing/tree")
        timing = {"group_by": ["alertname"], "group_wait": "0s", "group_interval": "1s", "repeat_interval": "1h"}
        put = client.put("/api/v1/routing/tree", json={"route": {"receiver": "old", **timing}},
                         headers={"If-Match": tree.headers["etag"]})
        assert put.status_code == 200, put.text

        assert client.post("/api/v1/integrations/alertmanager", json=alert("FirstAlert")).status_code == 200
        wait_for(lambda: names(old), lambda n: "FirstAlert" in n, 20)

        switched = client.put("/api/v1/routing/tree", json={"route": {"receiver": "new", **timing}},
                              headers={"If-Match": put.headers["etag"]})
        assert switched.status_code == 200, switched.text
        # Nothing restarted: the same server, the same pipeline; the next alert follows the new route.
        assert client.post("/api/v1/integrations/alertmanager", json=alert("SecondAlert")).status_code == 200
        wait_for(lambda: names(new), lambda n: "SecondAlert" in n, 20)
        assert "SecondAlert" not in names(old)
        history = client.get("/api/v1/notifications/deliveries", params={"to": "new"}).json()["data"]
        assert any(d["status"] == "sent" for d in history)
    finally:
        server.should_exit = True
        thread.join(15)
        old.close()
        new.close()
