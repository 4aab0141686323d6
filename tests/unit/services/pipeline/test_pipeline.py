"""The whole pipeline on in-memory adapters: from a firing transition to a delivered
notification, with the history and the delivery audit telling what happened and why."""

from __future__ import annotations

from domain.alerts.silences import Silence
from domain.notifications.delivery import DeliveryStatus
from ports.notify import DeliveryResult
from tests.unit.services.pipeline.conftest import TENANT, Harness, labels

DISK_A = labels(alertname="Disk", host="a", severity="warning", cluster="c1")
DISK_B = labels(alertname="Disk", host="b", severity="warning", cluster="c1")
DOWN = labels(alertname="ClusterDown", host="", severity="critical", cluster="c1")


async def deliveries(h: Harness):
    return await h.notifications.deliveries(TENANT)


async def test_fire_group_wait_notify_then_repeat_and_resolve(h: Harness):
    fp = await h.fire(DISK_A)
    [incident] = await h.incidents.list(TENANT)
    assert incident.alerts == (fp,)
    await h.tick(9_999)
    assert h.told() == []  # group_wait
    await h.fire(DISK_B)
    await h.tick(1)
    assert h.told() == [("log", ["a", "b"], [])]  # one message for the two
    [n] = h.notifier.sent
    assert n.subject == "[FIRING:2] Disk" and "Disk on a" in n.body
    await h.tick(60_000)
    assert len(h.told()) == 1  # nothing new, repeat not due
    await h.resolve(DISK_B)
    await h.tick(60_000)
    assert h.told()[-1] == ("log", ["a"], ["b"])
    await h.tick(3_600_000)
    assert h.told()[-1] == ("log", ["a"], [])  # the repeat
    assert await h.history(fp) == [
        ("incident", "incident_opened"), ("route", "routed"), ("group", "grouped"),
        ("notify", "queued"), ("notify", "delivered"), ("notify", "queued"), ("notify", "delivered"),
        ("notify", "queued"), ("notify", "delivered"),
    ]
    audit = await deliveries(h)
    assert len(audit) == 3 and {d.status for d in audit} == {DeliveryStatus.SENT}
    assert all(len(d.attempts) == 1 and d.attempts[0].status_code == 200 for d in audit)


async def test_a_silence_mutes_until_it_ends_and_the_alert_is_notified_then(h: Harness):
    await h.silence('host="a"', minutes=5)
    fp = await h.fire(DISK_A)
    assert await h.incidents.list(TENANT) == []
    await h.tick(60_000)
    assert h.told() == []
    await h.tick(4 * 60_000)  # the silence ends: the alert still fires
    assert await h.incidents.list(TENANT) != []
    await h.tick(10_000)
    assert h.told() == [("log", ["a"], [])]
    stages = await h.history(fp)
    assert stages[:3] == [("silence", "silenced"), ("silence", "unsilenced"), ("incident", "incident_opened")]


async def test_a_silence_created_while_it_fires_takes_it_out_of_the_repeats(h: Harness):
    fp = await h.fire(DISK_A)
    fp_b = await h.fire(DISK_B)
    await h.tick(10_000)
    assert h.told() == [("log", ["a", "b"], [])]
    await h.silence('host="b"', minutes=600)
    await h.tick(1_000)
    await h.tick(3_600_000)
    assert h.told()[-1] == ("log", ["a"], [])
    assert ("silence", "silenced") not in await h.history(fp)
    found = await h.uow.run(lambda u: u.history.for_alert(TENANT, fp_b))
    silenced = [d for d in found if d.outcome.value == "silenced"]
    assert silenced and "planned work" in silenced[0].reason


async def test_inhibited_while_the_cause_fires_and_notified_once_it_resolves(h: Harness):
    await h.fire(DOWN)
    fp = await h.fire(DISK_A)
    await h.tick(10_000)
    assert [c for c, *_ in h.told()] == ["webhook"]  # only the cause, paged through its receiver
    await h.resolve(DOWN)
    await h.tick(1_000)
    await h.tick(10_000)
    assert ("log", ["a"], []) in h.told()
    assert [s for s in await h.history(fp)][:2] == [("inhibit", "inhibited"), ("inhibit", "uninhibited")]


async def test_a_failing_channel_is_retried_and_sends_once(h: Harness):
    h.notifier.failures = [DeliveryResult(False, 503, "HTTP 503", retryable=True)] * 2
    await h.fire(DISK_A)
    await h.tick(10_000)
    assert len(h.notifier.attempts) == 3 and len(h.notifier.sent) == 1
    [d] = await deliveries(h)
    assert d.status is DeliveryStatus.SENT
    assert [(a.outcome.value, a.status_code) for a in d.attempts] == [("failed", 503), ("failed", 503), ("sent", 200)]


async def test_a_permanent_failure_is_not_retried(h: Harness):
    h.notifier.failures = [DeliveryResult(False, 404, "HTTP 404: no_service", retryable=False)]
    fp = await h.fire(DISK_A)
    await h.tick(10_000)
    [d] = await deliveries(h)
    assert d.status is DeliveryStatus.FAILED and len(d.attempts) == 1 and h.notifier.sent == []
    assert (await h.history(fp))[-1] == ("notify", "failed")


async def test_retries_run_out(h: Harness):
    h.notifier.failures = [DeliveryResult(False, 500, "HTTP 500", retryable=True)] * 10
    await h.fire(DISK_A)
    await h.tick(10_000)
    [d] = await deliveries(h)
    assert d.status is DeliveryStatus.FAILED and len(d.attempts) == 4  # max_retries=3


async def test_a_key_already_delivered_is_never_sent_again(h: Harness):
    await h.fire(DISK_A)
    await h.tick(10_000)
    [d] = await deliveries(h)
    assert h.notifier.sent[0].idempotency_key == d.key
    # The same task again (a redelivered message, a second replica): the queue refuses
    # the key outright, and the ledger stops a task that got through anyway.
    assert await h.tasks.enqueue("notify.deliver", {}, idempotency_key=d.key) is False
    await h.notifications.deliver(_payload_of(h, d.key))
    assert len(h.notifier.sent) == 1
    [again] = await deliveries(h)
    assert again.status is DeliveryStatus.SENT and again.attempts[-1].outcome.value == "duplicate"


def _payload_of(h: Harness, key: str) -> dict:
    from services.delivery_jobs import PAYLOAD_VERSION

    n = h.notifier.sent[0]
    p = n.payload
    return {"v": PAYLOAD_VERSION, "kind": "group", "key": key, "tenant": p["tenant"], "receiver": p["receiver"],
            "channel": p["channel"],
            "channel_type": n.channel, "group_key": p["group_key"], "at_ms": p["at_ms"], "group_labels": list(p["group_labels"].items()),
            "firing": [{"fingerprint": a["fingerprint"], "status": a["status"], "labels": list(a["labels"].items()),
                        "annotations": a["annotations"], "starts_at_ms": None} for a in p["alerts"]], "resolved": []}


async def test_a_restart_rebuilds_groups_from_the_stored_alerts(h: Harness):
    from domain.alerts.state import Alert

    alert = Alert.new(TENANT, "r1", DISK_A, {"summary": "disk a"})
    alert.to_firing(h.clock.now_ms() - 60_000)
    await h.uow.run(lambda u: u.alerts.save(alert))
    pipeline = h.restart()
    assert await pipeline.restore() == 1
    await h.tick(10_000)
    assert h.told() == [("log", ["a"], [])]
    assert h.notifier.sent[0].payload["alerts"][0]["annotations"] == {"summary": "disk a"}
    assert await h.incidents.list(TENANT) == []  # incidents are not reopened by a restore
    assert ("group", "grouped") in await h.history(alert.fingerprint)


async def test_a_maintenance_window_silence_is_described_in_the_history(h: Harness):
    from domain.alerts.silences import Recurrence
    from domain.metrics.matchers import parse_matchers

    now = h.clock.now_ms()
    s = Silence(id="mw", tenant=TENANT, matchers=parse_matchers('cluster="c1"'), starts_at_ms=now - 1, ends_at_ms=now + 86_400_000,
                created_by="ops", comment="nightly", recurrence=Recurrence("UTC", frozenset(range(7)), "00:00", 86_400_000 - 60_000))
    await h.uow.run(lambda u: u.silences.add(s))
    fp = await h.fire(DISK_A)
    [d] = await h.uow.run(lambda u: u.history.for_alert(TENANT, fp))
    assert d.outcome.value == "silenced" and "maintenance window mw" in d.reason


async def test_a_batch_that_failed_midway_is_processed_again_when_redelivered(h: Harness):
    import pytest

    from domain.alerts.state import AlertState

    calls = {"n": 0}
    real = h.incidents.take_alerts

    async def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database went away")
        return await real(*args, **kwargs)

    h.incidents.take_alerts = flaky  # type: ignore[method-assign]
    t = h.transition(DISK_A, AlertState.FIRING)
    with pytest.raises(ConnectionError):
        await h.pipeline.process(t, {"summary": "disk a"})
    await h.pipeline.process(t, {"summary": "disk a"})  # the bus delivers the same transition again
    assert len(await h.incidents.list(TENANT)) == 1
    await h.tick(10_000)
    assert h.told() == [("log", ["a"], [])]
    await h.pipeline.process(t, {})  # and once it went through, a replay is a duplicate
    assert h.pipeline.decisions[-1].outcome.value == "duplicate"


async def test_one_list_of_stages_of_one_shape_serves_every_kind_of_pass(h: Harness):
    from services.pipeline.model import PassKind

    names = [type(s).__name__ for s in h.pipeline.stages]
    assert names == ["RemuteStage", "DedupStage", "SilenceStage", "InhibitStage", "IncidentStage", "RouteStage",
                     "GroupStage", "ResolvedMuteStage", "NotifyStage"]
    for kind in PassKind:
        assert [n for n, s in zip(names, h.pipeline.stages) if kind in s.passes], kind  # every pass has stages
    assert all(callable(s.process) for s in h.pipeline.stages)


async def test_a_routing_change_applies_on_the_next_pass_without_a_restart(h: Harness):
    from services.pipeline.config import AlertingConfig

    await h.fire(DISK_A)
    await h.tick(10_000)
    assert h.told() == [("log", ["a"], [])]
    h.notifications.configs.config = AlertingConfig.from_dict({  # what a per-tenant source will do on an edit
        "route": {"receiver": "ops", "group_by": ["alertname"], "group_wait": "0s"},
        "receivers": [{"name": "ops", "slack_configs": [{"url": "https://hooks.example/slack"}]}]})
    fp = await h.fire(labels(alertname="Cpu", host="c", severity="warning", cluster="c1"))
    await h.tick(1_000)
    assert h.told() == [("log", ["a"], []), ("slack", ["c"], [])]
    assert [d.receiver for d in await h.uow.run(lambda u: u.history.for_alert(TENANT, fp)) if d.stage.value == "route"] == ["ops"]
