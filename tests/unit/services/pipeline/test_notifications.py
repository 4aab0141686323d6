"""The delivery task on its own: the ledger decides who sends, templates render per
channel, and every attempt lands in the audit."""

from __future__ import annotations

import pytest

from domain.alerts.grouping import GroupedAlert, GroupNotification
from domain.errors import ValidationError
from domain.notifications.delivery import AttemptOutcome, DeliveryStatus
from domain.notifications.templates import AlertView, MessageView, render_message
from ports.notify import Claim
from services.notifications import DeliveryFailed, DeliveryJob, build_job, delivery_key, outgoing
from services.pipeline.config import AlertingConfig
from tests.unit.services.pipeline.conftest import CONFIG, NOW_MS, TENANT, Harness, labels

CFG = AlertingConfig.from_dict(CONFIG)
A = labels(alertname="Disk", host="a<b>&", severity="warning")


def job(channel: str = "webhook-0", receiver: str = "pager") -> DeliveryJob:
    n = GroupNotification("gk1", receiver, (GroupedAlert("fa", A),), (), NOW_MS, labels(alertname="Disk"))
    view = AlertView("fa", "firing", A, {"summary": "disk full on a", "runbook": "https://x"}, NOW_MS - 60_000)
    ch = CFG.channel(receiver, channel)
    assert ch is not None
    return build_job(TENANT, n, ch, [view], [])


def test_the_payload_round_trips_and_carries_no_secret():
    j = job()
    payload = j.to_payload()
    assert "s3cret" not in str(payload)
    assert DeliveryJob.from_payload(payload) == j
    with pytest.raises(ValidationError):
        DeliveryJob.from_payload({"v": 99})
    with pytest.raises(ValidationError):
        DeliveryJob.from_payload({**payload, "firing": [{}]})


def test_keys_differ_per_tenant_and_channel():
    n = GroupNotification("gk1", "pager", (GroupedAlert("fa", A),), (), NOW_MS)
    keys = {delivery_key(t, n, c) for t in ("t1", "t2") for c in ("a", "b")}
    assert len(keys) == 4


def test_templates_per_channel_escape_values_for_slack_only():
    view = job().view
    title, text = render_message("slack", view)
    assert title == "[FIRING:1] Disk" and "a&lt;b&gt;&amp;" in text and "*FIRING*" in text
    _, email = render_message("email", view)
    assert 'host="a<b>&"' in email and "runbook: https://x" in email and "receiver pager" in email
    custom, _ = render_message("webhook", view, title="{{ STATUS }} {{ common_labels.severity }} {{ nope }}")
    assert custom == "FIRING warning {{ nope }}"
    resolved = MessageView(TENANT, "r", "g", NOW_MS, (), (AlertView("fa", "resolved", A),))
    assert render_message("log", resolved)[0] == "[RESOLVED] Disk"


def test_outgoing_uses_the_channel_template_and_settings():
    j = job()
    n = outgoing(j, CFG.channel("pager", "webhook-0"))
    assert n.channel == "webhook" and n.target["url"] == "https://hooks.example/pager"
    assert n.payload["alerts"][0]["labels"]["host"] == "a<b>&" and n.payload["status"] == "firing"


async def test_a_key_someone_else_is_sending_is_retried_later(h: Harness):
    j = job()
    assert await h.ledger.claim(j.key, "other-worker", 60) is Claim.CLAIMED
    with pytest.raises(DeliveryFailed, match="another worker"):
        await h.notifications.deliver(j.to_payload())
    assert h.notifier.attempts == []
    await h.ledger.mark_sent(j.key, "other-worker")
    await h.notifications.deliver(j.to_payload())
    d = await h.notifications.delivery(TENANT, j.key)
    assert [a.outcome for a in d.attempts] == [AttemptOutcome.BUSY, AttemptOutcome.DUPLICATE]
    assert d.status is DeliveryStatus.SENT and h.notifier.attempts == []


async def test_an_unknown_channel_or_type_is_refused_not_retried(h: Harness):
    gone = job()
    payload = {**gone.to_payload(), "channel": "removed-0"}
    await h.notifications.deliver(payload)
    d = await h.notifications.delivery(TENANT, gone.key)
    assert d.status is DeliveryStatus.FAILED and "no channel 'removed-0'" in d.attempts[0].detail
    h.notifications.config = AlertingConfig.from_dict({"route": {"receiver": "x"}, "receivers": [
        {"name": "x", "email_configs": [{"to": "a@b.c", "from": "o@b.c", "smarthost": "mail:25"}]}]})
    j = build_job(TENANT, GroupNotification("gk2", "x", (GroupedAlert("fa", A),), (), NOW_MS),
                  h.notifications.config.channel("x", "email-0"), [AlertView("fa", "firing", A)], [])
    await h.notifications.deliver(j.to_payload())
    d = await h.notifications.delivery(TENANT, j.key)
    assert d.attempts[0].outcome is AttemptOutcome.REFUSED and "no notifier serves" in d.attempts[0].detail


async def test_an_adapter_that_raises_is_retried(h: Harness):
    async def boom(_):
        raise ConnectionResetError("peer went away")

    h.notifier.send = boom  # type: ignore[method-assign]
    j = job()
    with pytest.raises(DeliveryFailed, match="peer went away"):
        await h.notifications.deliver(j.to_payload())
    assert (await h.notifications.delivery(TENANT, j.key)).status is DeliveryStatus.RETRYING
    assert await h.ledger.claim(j.key, "next-attempt", 60) is Claim.CLAIMED  # released for the retry


def test_receivers_are_listed_without_settings(h: Harness):
    listing = h.notifications.receivers()
    assert {"name": "pager", "channels": [{"name": "webhook-0", "type": "webhook", "send_resolved": True}]} in listing
    assert "s3cret" not in str(listing) and "hooks.example" not in str(listing)


async def test_an_unreadable_task_is_dropped_not_retried(h: Harness, caplog):
    await h.notifications.deliver({"v": 1, "key": "k"})
    assert "cannot be read" in caplog.text and h.notifier.attempts == []
