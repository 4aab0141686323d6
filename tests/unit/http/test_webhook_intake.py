"""Alertmanager (webhook v4) and Grafana webhook intake: alerts are listed by our API
and flow through the same pipeline (incidents), idempotently."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from tests.unit.http.conftest import NOW_MS, Api

PROBLEM = "application/problem+json"
STARTS = "2027-01-15T08:00:00.123456789Z"  # nanoseconds, as Alertmanager sends them
STARTS_MS = 1_800_000_000_000 - 60_000


def iso(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def am_alert(status="firing", name="DiskFull", starts=STARTS_MS, ends=None, **labels) -> dict:
    return {"status": status, "labels": {"alertname": name, "severity": "critical", "instance": "db-1"} | labels,
            "annotations": {"summary": f"{name} on db-1", "description": "95% used"},
            "startsAt": iso(starts), "endsAt": iso(ends) if ends else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=x", "fingerprint": "c8f3d2a1b4e5f607"}


def am_payload(*alerts: dict, receiver="observer") -> dict:
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {"version": "4", "groupKey": '{}:{alertname="DiskFull"}', "truncatedAlerts": 0, "status": status,
            "receiver": receiver, "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093", "alerts": list(alerts)}


def grafana_payload(status="firing") -> dict:
    alert = am_alert(status, name="HighCPU") | {
        "values": {"B": 97.5}, "valueString": "[ var='B' labels={} value=97.5 ]",
        "dashboardURL": "http://grafana/d/abc", "panelURL": "http://grafana/d/abc?viewPanel=2",
        "silenceURL": "http://grafana/alerting/silence/new", "imageURL": ""}
    alert["labels"] |= {"__alert_rule_uid__": "uid-1", "grafana_folder": "infra", "team.name": "dba"}
    return am_payload(alert, receiver="grafana-hook") | {"orgId": 1, "state": "alerting", "title": "[FIRING:1] HighCPU",
                                                        "message": "**Firing**"}


async def run_pipeline(api: Api) -> None:
    bus = api.container.bus()
    consumer = await bus.subscribe(["alerts"], "pipeline")
    msgs = await consumer.poll(timeout_s=0.01)
    if msgs:
        await api.container.pipeline().handle(msgs)
        await consumer.commit({(m.topic, m.partition): m.offset + 1 for m in msgs})


async def alerts(api: Api) -> list[dict]:
    return (await api.client.get("/api/v1/alerts")).json()["data"]["alerts"]


async def incidents(api: Api) -> list[dict]:
    return (await api.client.get("/api/v1/incidents")).json()["data"]


async def test_alertmanager_firing_then_resolved(api: Api) -> None:
    resp = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(am_alert()))
    assert resp.status_code == 200, resp.text
    assert resp.json()["alerts"] == 1 and resp.json()["transitions"] == 1
    [a] = await alerts(api)
    assert a["state"] == "firing" and a["rule_id"] == "external:alertmanager:observer"
    assert a["labels"] == {"alertname": "DiskFull", "severity": "critical", "instance": "db-1"}
    assert a["annotations"]["generator_url"].startswith("http://prometheus")
    assert a["firedAt"] == iso(STARTS_MS)

    await run_pipeline(api)
    [inc] = await incidents(api)
    assert inc["title"] == "DiskFull on db-1" and inc["severity"] == "SEV1" and inc["alerts"] == [a["fingerprint"]]

    # Alertmanager repeats a firing alert (repeat_interval): nothing changes.
    again = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(am_alert()))
    assert again.json()["transitions"] == 0
    await run_pipeline(api)
    assert len(await incidents(api)) == 1

    resolved = await api.client.post("/api/v1/integrations/alertmanager",
                                     json=am_payload(am_alert("resolved", ends=NOW_MS - 5_000)))
    assert resolved.json()["transitions"] == 1
    [a] = await alerts(api)
    assert a["state"] == "resolved" and a["resolvedAt"] == iso(NOW_MS - 5_000)
    await run_pipeline(api)  # the resolution reaches the pipeline (it notes it on the incident)
    detail = (await api.client.get(f"/api/v1/incidents/{inc['id']}")).json()["data"]
    assert any(a["fingerprint"] in (e["text"] or "") for e in detail["timeline"])

    # A late, stale "firing" for that same activation is ignored.
    stale = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(am_alert()))
    assert stale.json()["transitions"] == 0
    # A new activation fires again.
    refire = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(am_alert(starts=NOW_MS)))
    assert refire.json()["transitions"] == 1


async def test_resolved_for_an_alert_never_seen_is_recorded_without_opening_an_incident(api: Api) -> None:
    resp = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(am_alert("resolved", ends=NOW_MS)))
    assert resp.status_code == 200 and resp.json()["transitions"] == 1
    [a] = await alerts(api)
    assert a["state"] == "resolved"
    await run_pipeline(api)
    assert await incidents(api) == []


async def test_grafana_webhook(api: Api) -> None:
    resp = await api.client.post("/api/v1/integrations/grafana", json=grafana_payload())
    assert resp.status_code == 200, resp.text
    [a] = await alerts(api)
    assert a["rule_id"] == "external:grafana:grafana-hook"
    # private __ labels dropped, invalid names made valid
    assert a["labels"] == {"alertname": "HighCPU", "severity": "critical", "instance": "db-1", "grafana_folder": "infra",
                           "team_name": "dba"}
    assert a["annotations"]["dashboard_url"] == "http://grafana/d/abc" and a["value"] == "97.5"
    await run_pipeline(api)
    assert len(await incidents(api)) == 1


async def test_two_alerts_of_one_group_share_one_incident(api: Api) -> None:
    resp = await api.client.post("/api/v1/integrations/alertmanager",
                                 json=am_payload(am_alert(instance="db-1"), am_alert(instance="db-2")))
    assert resp.json()["transitions"] == 2 and len(set(resp.json()["fingerprints"])) == 2
    await run_pipeline(api)
    [inc] = await incidents(api)
    assert len(inc["alerts"]) == 2


async def test_invalid_payloads_are_rejected_whole_naming_the_field(api: Api) -> None:
    bad_time = am_alert(instance="db-2")
    bad_time["startsAt"] = "yesterday"
    resp = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(am_alert(), bad_time))
    assert resp.status_code == 422 and resp.json()["field"] == "alerts[1].startsAt"
    no_labels = am_alert()
    no_labels["labels"] = {"__private": "x"}
    resp = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(no_labels))
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "alerts[0].labels"
    wide = am_alert(**{f"l{i}": "v" for i in range(40)})
    resp = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(wide))
    assert resp.status_code == 422 and resp.json()["limit"] == "max_labels"
    bad_status = am_payload(am_alert())
    bad_status["alerts"][0]["status"] = "pending"
    resp = await api.client.post("/api/v1/integrations/alertmanager", json=bad_status)
    assert resp.status_code == 422 and resp.json()["field"] == "alerts[0].status"
    assert (await api.client.post("/api/v1/integrations/alertmanager", content=b"{", headers={"content-type": "application/json"})).status_code == 422
    assert (await api.client.post("/api/v1/integrations/alertmanager", content=b"x", headers={"content-type": "text/xml"})).status_code == 415
    big = await api.client.post("/api/v1/integrations/alertmanager", content=b" " * 70_000, headers={"content-type": "application/json"})
    assert big.status_code == 413
    assert await alerts(api) == []


async def test_an_ingest_key_is_needed(api: Api) -> None:
    _, key = await api.container.api_keys().create_api_key("default", "am", ["ingest"])
    ok = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(am_alert()), headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200
    _, reader = await api.container.api_keys().create_api_key("default", "ro", ["read"])
    no = await api.client.post("/api/v1/integrations/alertmanager", json=am_payload(am_alert()), headers={"Authorization": f"Bearer {reader}"})
    assert no.status_code == 403
    assert (await api.client.post("/api/v1/integrations/grafana", json=grafana_payload(), headers={"Authorization": ""})).status_code == 401


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=15,
)
alert_like = st.fixed_dictionaries(
    {"status": st.sampled_from(["firing", "resolved", "pending", ""])},
    optional={"labels": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4),
              "annotations": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=2),
              "startsAt": st.one_of(st.text(max_size=30), st.sampled_from([STARTS, "0001-01-01T00:00:00Z", "2027-13-45T99:00:00Z"])),
              "endsAt": st.one_of(st.text(max_size=30), st.just(STARTS)),
              "values": json_values},
)


@settings(max_examples=75, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(body=st.one_of(json_values, st.fixed_dictionaries({"status": st.sampled_from(["firing", "resolved"]),
                                                         "receiver": st.text(max_size=10), "alerts": st.lists(alert_like, max_size=3)})),
       grafana=st.booleans())
async def test_no_payload_causes_a_server_error(api: Api, body, grafana: bool) -> None:
    resp = await api.client.post(f"/api/v1/integrations/{'grafana' if grafana else 'alertmanager'}", json=body)
    assert resp.status_code in (200, 413, 422), resp.text
    if resp.status_code != 200:
        assert resp.headers["content-type"] == PROBLEM and resp.json()["detail"]
