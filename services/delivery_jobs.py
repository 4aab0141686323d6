"""What a delivery task carries: one notification to one destination, and no secrets.

Two kinds of message go through the one delivery path (``services.notifications``):

* ``GroupMessage``: an alert group's notification to one channel of a receiver (the
  alert pipeline's); rendered with the channel's template when it is sent;
* ``PersonMessage``: a page, reminder or approval request to one person (the incident,
  remediation and postmortem workflows'); sent on that person's channel, looked up
  when it is sent.

The task carries what the message is made of and whom it is for, never channel
settings: the worker reads those itself (the alerting configuration, the on-call
directory), so secrets do not sit in the broker. Payload version 1 (group messages
only) is still read, so tasks queued before an upgrade are delivered after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.alerts.grouping import GroupNotification
from domain.errors import ValidationError
from domain.metrics.labels import LabelSet
from domain.notifications.delivery import Delivery
from domain.notifications.templates import AlertView, MessageView, iso, render_message
from ports.notify import OutgoingNotification
from ports.oncall import Contact
from services.pipeline.config import ChannelConfig

NOTIFY_TASK = "notify.deliver"
PAYLOAD_VERSION = 2


def delivery_key(tenant: str, n: GroupNotification, channel: str) -> str:
    """One key per (tenant, alert group, receiver, notification, channel).

    ``GroupNotification.idempotency_key`` covers group, receiver, time and content; the
    tenant is added because group keys are functions of labels only (two tenants' groups
    may share one), the channel because a receiver may have several.
    """
    text = "\x00".join((tenant, n.idempotency_key, channel))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _alert_doc(a: AlertView) -> dict[str, Any]:
    return {"fingerprint": a.fingerprint, "status": a.status, "labels": [list(p) for p in a.labels.pairs],
            "annotations": dict(a.annotations), "starts_at_ms": a.starts_at_ms}


def _alert_view(doc: Mapping[str, Any]) -> AlertView:
    return AlertView(doc["fingerprint"], doc["status"], LabelSet(tuple((k, v) for k, v in doc["labels"])),
                     dict(doc.get("annotations") or {}), doc.get("starts_at_ms"))


@dataclass(frozen=True, slots=True)
class GroupMessage:
    """An alert group's notification to the channel ``channel`` of ``receiver``."""

    receiver: str
    channel: str
    channel_type: str
    view: MessageView

    def outgoing(self, key: str, channel: ChannelConfig) -> OutgoingNotification:
        """The channel's template applied to the message."""
        v = self.view
        title, text = render_message(channel.type, v, channel.title, channel.text)
        payload = {
            "tenant": v.tenant, "receiver": self.receiver, "channel": channel.name, "status": v.status,
            "group_key": v.group_key, "group_labels": v.group_labels.as_dict(), "common_labels": v.common_labels,
            "common_annotations": v.common_annotations, "at_ms": v.at_ms,
            "alerts": [{"status": a.status, "fingerprint": a.fingerprint, "labels": a.labels.as_dict(),
                        "annotations": dict(a.annotations), "starts_at": iso(a.starts_at_ms) if a.starts_at_ms else None}
                       for a in v.alerts],
        }
        return OutgoingNotification(key, channel.type, channel.settings, title, text, payload)


@dataclass(frozen=True, slots=True)
class PersonMessage:
    """A message for one person of a tenant; ``data`` travels with it (the incident,
    the escalation step ...), ``incident_id`` names the incident it is about."""

    user: str
    subject: str
    body: str
    data: Mapping[str, Any] = field(default_factory=dict)
    incident_id: str = ""

    def outgoing(self, key: str, tenant: str, contact: Contact) -> OutgoingNotification:
        return OutgoingNotification(key, contact.channel, {**contact.target, "user": self.user}, self.subject,
                                    self.body, {"tenant": tenant, **self.data})


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    key: str
    tenant: str
    message: GroupMessage | PersonMessage

    def alerts(self) -> tuple[str, ...]:
        m = self.message
        return tuple(a.fingerprint for a in m.view.alerts) if isinstance(m, GroupMessage) else ()

    def new_delivery(self, now_ms: int) -> Delivery:
        """Its row in the audit, queued."""
        m = self.message
        if isinstance(m, GroupMessage):
            v = m.view
            subject = f"{v.headline} ({len(v.firing)} firing, {len(v.resolved)} resolved)"
            return Delivery(self.key, self.tenant, m.receiver, m.channel, m.channel_type, v.group_key, v.at_ms, now_ms,
                            self.alerts(), subject=subject)
        return Delivery(self.key, self.tenant, "", "", "", "", now_ms, now_ms, recipient=m.user,
                        incident_id=m.incident_id, subject=m.subject)

    def to_payload(self) -> dict[str, Any]:
        m = self.message
        if isinstance(m, PersonMessage):
            return {"v": PAYLOAD_VERSION, "kind": "person", "key": self.key, "tenant": self.tenant, "user": m.user,
                    "subject": m.subject, "body": m.body, "data": dict(m.data), "incident_id": m.incident_id}
        v = m.view
        return {
            "v": PAYLOAD_VERSION, "kind": "group", "key": self.key, "tenant": v.tenant, "receiver": m.receiver,
            "channel": m.channel, "channel_type": m.channel_type, "group_key": v.group_key, "at_ms": v.at_ms,
            "group_labels": [list(p) for p in v.group_labels.pairs],
            "firing": [_alert_doc(a) for a in v.firing], "resolved": [_alert_doc(a) for a in v.resolved],
        }

    @classmethod
    def from_payload(cls, doc: Mapping[str, Any]) -> "DeliveryJob":
        if doc.get("v") not in (1, PAYLOAD_VERSION):
            raise ValidationError(f"unknown delivery task format {doc.get('v')!r}", field="v")
        try:
            if doc.get("kind", "group") == "person":
                return cls(doc["key"], doc["tenant"], PersonMessage(doc["user"], doc["subject"], doc["body"],
                                                                    dict(doc.get("data") or {}), doc.get("incident_id", "")))
            view = MessageView(
                doc["tenant"], doc["receiver"], doc["group_key"], int(doc["at_ms"]),
                tuple(_alert_view(a) for a in doc["firing"]), tuple(_alert_view(a) for a in doc["resolved"]),
                LabelSet(tuple((k, v) for k, v in doc["group_labels"])),
            )
            return cls(doc["key"], doc["tenant"], GroupMessage(doc["receiver"], doc["channel"], doc["channel_type"], view))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"malformed delivery task: {exc!r}", field="payload") from None


def build_job(tenant: str, n: GroupNotification, channel: ChannelConfig, firing: Sequence[AlertView],
              resolved: Sequence[AlertView]) -> DeliveryJob:
    view = MessageView(tenant, n.receiver, n.group_key, n.at_ms, tuple(firing),
                       tuple(resolved) if channel.send_resolved else (), n.group_labels)
    return DeliveryJob(delivery_key(tenant, n, channel.name), tenant,
                       GroupMessage(n.receiver, channel.name, channel.type, view))


@dataclass(frozen=True)
class UserMessage:
    """A notification for one user of a tenant, as the workflows ask for it (the
    ``notify.user`` activity's input; ``key`` is derived from workflow state, so a
    retried activity reuses it)."""

    tenant: str
    user: str
    key: str
    subject: str
    body: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    def job(self) -> DeliveryJob:
        incident = self.payload.get("incident_id", "")
        return DeliveryJob(self.key, self.tenant, PersonMessage(self.user, self.subject, self.body, dict(self.payload),
                                                                incident if isinstance(incident, str) else ""))


@dataclass(frozen=True)
class DeliveryReceipt:
    """What queuing a person's message answers: its key, for whom, and the delivery's
    status when it was queued (``queued``, or ``sent`` for a key delivered before).
    ``delivered``/``channel``/``duplicate`` keep the shape the ``notify.user`` activity
    answered before deliveries were queued."""

    key: str
    recipient: str = ""
    channel: str = ""
    delivered: bool = False
    detail: str = ""
    duplicate: bool = False
    status: str = ""
