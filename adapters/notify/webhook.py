"""Generic webhook: the notification as JSON, signed.

Headers: ``X-Observer-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the
channel's secret>``, ``X-Observer-Timestamp`` (Unix seconds, also inside the body as
``timestamp`` so the signature covers it: a receiver rejects old replays by checking it)
and ``X-Observer-Idempotency-Key`` (the same on every retry: the receiver can dedupe).
Without a ``secret`` the body is sent unsigned.

To verify: ``hmac.compare_digest(header, "sha256=" + hmac.new(secret, body, sha256).hexdigest())``
over the body bytes exactly as received.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from adapters.notify.http import HttpChannel, dumps
from ports.notify import OutgoingNotification

SIGNATURE_HEADER = "X-Observer-Signature"
TIMESTAMP_HEADER = "X-Observer-Timestamp"
KEY_HEADER = "X-Observer-Idempotency-Key"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookNotifier(HttpChannel):
    channel = "webhook"

    def build(self, n: OutgoingNotification) -> tuple[str, bytes, dict[str, str]]:
        p = n.payload
        now = int(time.time())
        alerts = list(p.get("alerts", []))
        limit = int(n.target.get("max_alerts") or 0)
        doc = {
            "version": "1", "idempotencyKey": n.idempotency_key, "tenant": p.get("tenant"), "receiver": p.get("receiver"),
            "status": p.get("status"), "groupKey": p.get("group_key"), "groupLabels": p.get("group_labels", {}),
            "commonLabels": p.get("common_labels", {}), "commonAnnotations": p.get("common_annotations", {}),
            "title": n.subject, "text": n.body, "timestamp": now,
            "alerts": alerts[:limit] if limit else alerts, "truncatedAlerts": max(0, len(alerts) - limit) if limit else 0,
        }
        body = dumps(doc)
        headers = {TIMESTAMP_HEADER: str(now), KEY_HEADER: n.idempotency_key}
        secret = n.target.get("secret")
        if secret:
            headers[SIGNATURE_HEADER] = sign(str(secret), body)
        return str(n.target["url"]), body, headers
