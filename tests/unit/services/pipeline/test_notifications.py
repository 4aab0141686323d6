"""The delivery task on its own: the ledger decides who sends, templates render per
channel, a send ends within its deadline, and every attempt lands in the audit, for
alert groups and for people alike."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.notify import MemoryDeliveryLedger
from adapters.memory.oncall import MemoryOnCallDirectory
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.tasks import InProcessTaskQueue
from domain.alerts.grouping import GroupedAlert, GroupNotification
from domain.errors import ValidationError
from domain.notifications.delivery import AttemptOutcome, DeliveryStatus
from domain.notifications.templates import AlertView, MessageView, render_message
from ports.notify import Claim, DeliveryResult, OutgoingNotification
from ports.oncall import Contact
from ports.repositories import DeliveryQuery
from services.delivery_jobs import DeliveryJob, UserMessage, build_job, delivery_key
from services.notifications import DeliveryFailed, NotificationService
from services.pipeline.config import AlertingConfig, FixedAlertingConfigs
from tests.unit.services.pipeline.conftest import CONFIG, NOW_MS, TENANT, Harness, ScriptedNotifier, labels

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
    v1 = {k: v for k, v in payload.items() if k != "kind"} | {"v": 1}  # queued before person messages existed
    assert DeliveryJob.from_payload(v1) == j
    page = UserMessage(TENANT, "ann", "inc-1/r0/s0/t0", "[SEV2] db down", "please look", {"incident_id": "inc-1"}).job()
    assert DeliveryJob.from_payload(page.to_payload()) == page and page.message.incident_id == "inc-1"


def test_keys_differ_per_tenant_and_channel():
    n = GroupNotification("gk1", "pager", (GroupedAlert("fa", A),), (), NOW_MS)
    keys = {delivery_key(t, n, c) for t in ("t1", "t2") for c in ("a", "b")}
    assert len(keys) == 4


def test_templates_per_channel_escape_values_for_slack_only():
    view = job().message.view
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
    n = j.message.outgoing(j.key, CFG.channel("pager", "webhook-0"))
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
    email = AlertingConfig.from_dict({"route": {"receiver": "x"}, "receivers": [
        {"name": "x", "email_configs": [{"to": "a@b.c", "from": "o@b.c", "smarthost": "mail:25"}]}]})
    h.notifications.configs.config = email  # the next delivery reads the configuration again: no restart
    j = build_job(TENANT, GroupNotification("gk2", "x", (GroupedAlert("fa", A),), (), NOW_MS),
                  email.channel("x", "email-0"), [AlertView("fa", "firing", A)], [])
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


async def test_receivers_are_listed_without_settings(h: Harness):
    listing = await h.notifications.receivers(TENANT)
    assert {"name": "pager", "channels": [{"name": "webhook-0", "type": "webhook", "send_resolved": True}]} in listing
    assert "s3cret" not in str(listing) and "hooks.example" not in str(listing)


async def test_an_unreadable_task_is_dropped_not_retried(h: Harness, caplog):
    await h.notifications.deliver({"v": 1, "key": "k"})
    assert "cannot be read" in caplog.text and h.notifier.attempts == []


# ------------------------------------------------------------- people, on the same path


async def test_a_page_to_a_person_goes_through_the_same_audit_ledger_and_retries(h: Harness):
    h.notifications._directory.set_contact(TENANT, Contact("ann", "webhook", {"url": "https://hooks.example/ann"}))
    msg = UserMessage(TENANT, "ann", "inc-1/r0/s0/t0", "[SEV2] db down (incident inc-1)", "please look",
                      {"incident_id": "inc-1", "step": 0})
    h.notifier.failures.append(DeliveryResult(False, 503, "busy", retryable=True))
    receipt = await h.notifications.queue(msg.job())
    assert (receipt.key, receipt.recipient, receipt.status) == ("inc-1/r0/s0/t0", "ann", "queued")
    await h.tasks.drain()
    d = await h.notifications.delivery(TENANT, "inc-1/r0/s0/t0")
    assert d.status is DeliveryStatus.SENT and d.recipient == "ann" and d.incident_id == "inc-1"
    assert (d.channel, d.channel_type) == ("webhook", "webhook")
    assert [a.outcome for a in d.attempts] == [AttemptOutcome.FAILED, AttemptOutcome.SENT]
    [sent] = h.notifier.sent
    assert sent.target["url"] == "https://hooks.example/ann" and sent.payload["incident_id"] == "inc-1"
    again = await h.notifications.queue(msg.job())  # a retried activity: nothing new is sent
    assert again.delivered and again.status == "sent"
    await h.tasks.drain()
    assert len(h.notifier.sent) == 1
    found = await h.notifications.deliveries(TENANT, DeliveryQuery(incident_id="inc-1"))
    assert [x.key for x in found] == ["inc-1/r0/s0/t0"]
    assert [x.key for x in await h.notifications.deliveries(TENANT, DeliveryQuery(to="ann"))] == ["inc-1/r0/s0/t0"]


async def test_someone_without_contact_details_is_paged_on_the_fallback_channel(h: Harness):
    await h.notifications.queue(UserMessage(TENANT, "bob", "k-bob", "subject", "body").job())
    await h.tasks.drain()
    d = await h.notifications.delivery(TENANT, "k-bob")
    assert d.status is DeliveryStatus.SENT and d.channel == "log"


class StuckNotifier(ScriptedNotifier):
    """A far side that takes the request and never answers."""

    async def send(self, notification: OutgoingNotification) -> DeliveryResult:
        self.attempts.append(notification)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_send_is_cut_off_at_its_deadline_before_its_claim_runs_out(h: Harness):
    ledger = MemoryDeliveryLedger()
    svc = NotificationService(h.uow, StuckNotifier(), ledger, FixedAlertingConfigs(CFG), h.clock,
                              InProcessTaskQueue(), MemoryOnCallDirectory(), claim_ttl_s=0.5, send_deadline_s=0.05)
    j = job()
    with pytest.raises(DeliveryFailed, match="send deadline"):
        await svc.deliver(j.to_payload())
    d = await svc.delivery(TENANT, j.key)
    assert d.status is DeliveryStatus.RETRYING and "no answer within the send deadline" in d.attempts[0].detail
    assert await ledger.claim(j.key, "the retry", 60) is Claim.CLAIMED  # the cut-off send gave its claim back


def test_a_deadline_not_shorter_than_the_claim_is_refused(h: Harness):
    with pytest.raises(ValidationError) as e:
        NotificationService(MemoryUnitOfWorkRunner(), ScriptedNotifier(), MemoryDeliveryLedger(), FixedAlertingConfigs(CFG),
                            h.clock, InProcessTaskQueue(), MemoryOnCallDirectory(), claim_ttl_s=30, send_deadline_s=30)
    assert e.value.field == "notify_send_deadline_s"
