"""The notification channels against local far ends: a webhook receiver that checks the
HMAC signature, Slack / Teams / PagerDuty payload shapes, SMTP with STARTTLS and AUTH
against aiosmtpd, and the guard that keeps notifications away from private addresses."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from adapters.notify.dispatch import ChannelNotifier, channel_notifiers
from adapters.outbound.guard import OutgoingGuard, Refused
from ports.notify import OutgoingNotification
from tests.notify_receivers import HttpReceiver, SmtpReceiver, make_tls_files

pytestmark = pytest.mark.integration
LOOPBACK = ["127.0.0.1/32", "::1/128"]
PAYLOAD = {
    "tenant": "acme", "receiver": "ops", "channel": "c", "status": "firing", "group_key": "0123456789abcdef",
    "group_labels": {"alertname": "DiskFull"}, "common_labels": {"alertname": "DiskFull", "severity": "critical"},
    "common_annotations": {}, "at_ms": 1_800_000_000_000,
    "alerts": [{"status": "firing", "fingerprint": "f1", "labels": {"alertname": "DiskFull", "host": "a", "severity": "critical"},
                "annotations": {"summary": "disk full on a"}, "starts_at": "2027-01-15T08:00:00Z"}],
}


def note(channel: str, target: dict, key: str = "k-1", status: str = "firing") -> OutgoingNotification:
    return OutgoingNotification(key, channel, target, "[FIRING:1] DiskFull", "- **FIRING** disk full on a",
                                {**PAYLOAD, "status": status})


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    r = HttpReceiver()
    yield r
    r.close()


def notifier(allow=LOOPBACK) -> ChannelNotifier:
    return ChannelNotifier(channel_notifiers(allow, timeout_s=5))


# -- webhook ------------------------------------------------------------------------------


async def test_webhook_is_signed_and_the_receiver_verifies_it():
    receiver = HttpReceiver(secret="s3cret")
    try:
        n = notifier()
        result = await n.send(note("webhook", {"url": receiver.url(), "secret": "s3cret"}))
        assert result.delivered and result.status_code == 200
        [req] = receiver.accepted()
        expected = "sha256=" + hmac.new(b"s3cret", req.body, hashlib.sha256).hexdigest()
        assert req.headers["x-observer-signature"] == expected
        assert req.headers["x-observer-idempotency-key"] == "k-1" and req.headers["content-type"] == "application/json"
        doc = req.json()
        assert int(req.headers["x-observer-timestamp"]) == doc["timestamp"]  # signed with the body
        assert doc["idempotencyKey"] == "k-1" and doc["status"] == "firing" and doc["groupKey"] == "0123456789abcdef"
        assert doc["alerts"][0]["labels"]["host"] == "a" and doc["title"] == "[FIRING:1] DiskFull"

        # A wrong secret: the receiver refuses (401), which is final, not retried.
        bad = await n.send(note("webhook", {"url": receiver.url(), "secret": "wrong"}, key="k-2"))
        assert not bad.delivered and bad.status_code == 401 and not bad.retryable
        assert len(receiver.accepted()) == 1
    finally:
        receiver.close()


async def test_webhook_retryable_and_final_answers_and_no_redirects(http: HttpReceiver):
    n = notifier()
    http.script = [503, 429, 400, 302]
    first = await n.send(note("webhook", {"url": http.url()}, key="a"))
    second = await n.send(note("webhook", {"url": http.url()}, key="b"))
    third = await n.send(note("webhook", {"url": http.url()}, key="c"))
    fourth = await n.send(note("webhook", {"url": http.url()}, key="d"))
    assert (first.retryable, second.retryable, third.retryable, fourth.retryable) == (True, True, False, False)
    assert not any(r.delivered for r in (first, second, third, fourth))
    assert [r.path for r in http.requests] == ["/hook"] * 4  # the redirect was not followed
    ok = await n.send(note("webhook", {"url": http.url()}, key="e"))
    again = await n.send(note("webhook", {"url": http.url()}, key="e"))
    assert ok.delivered and again.delivered and len(http.accepted()) == 1  # the same key is sent once


async def test_https_webhooks_verify_the_certificate_with_the_shared_tls_context(tmp_path: Path):
    # The TLS context is built once per process and shared by every send; it must still
    # refuse a certificate no trusted CA signed (here: a throwaway test CA), twice over.
    _, cert, key = make_tls_files(tmp_path)
    receiver = HttpReceiver(tls=(cert, key))
    try:
        for attempt in ("k-1", "k-2"):
            result = await notifier().send(note("webhook", {"url": receiver.url()}, key=attempt))
            assert not result.delivered
            assert "CERTIFICATE_VERIFY_FAILED" in result.detail, result.detail
        assert receiver.requests == []
    finally:
        receiver.close()


async def test_an_unreachable_webhook_is_retryable():
    result = await notifier().send(note("webhook", {"url": "http://127.0.0.1:9/hook"}))
    assert not result.delivered and result.retryable


# -- Slack, Teams, PagerDuty -----------------------------------------------------------------


async def test_slack_incoming_webhook_payload(http: HttpReceiver):
    result = await notifier().send(note("slack", {"url": http.url("/services/T0/B0/XX"), "channel": "#ops"}))
    assert result.delivered
    doc = http.accepted()[0].json()
    assert doc["channel"] == "#ops" and doc["text"].startswith("[FIRING:1] DiskFull")
    header, section, context = doc["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "[FIRING:1] DiskFull", "emoji": True}}
    assert section["text"]["type"] == "mrkdwn" and "disk full on a" in section["text"]["text"]
    assert context["type"] == "context"


async def test_teams_workflow_webhook_gets_an_adaptive_card(http: HttpReceiver):
    http.default_status = 202
    result = await notifier().send(note("teams", {"url": http.url("/workflows/abc/triggers/manual/paths/invoke")}))
    assert result.delivered and result.status_code == 202
    doc = http.accepted()[0].json()
    assert doc["type"] == "message"
    [attachment] = doc["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == "[FIRING:1] DiskFull" and card["body"][0]["color"] == "Attention"
    assert {"type": "FactSet", "facts": [{"title": "alertname", "value": "DiskFull"}]} in card["body"]


async def test_pagerduty_triggers_then_resolves_under_one_dedup_key(http: HttpReceiver):
    http.default_status = 202
    target = {"url": http.url("/v2/enqueue"), "routing_key": "R" * 32}
    n = notifier()
    assert (await n.send(note("pagerduty", target, key="t"))).delivered
    assert (await n.send(note("pagerduty", target, key="r", status="resolved"))).delivered
    trigger, resolve = (r.json() for r in http.accepted())
    assert trigger["event_action"] == "trigger" and trigger["routing_key"] == "R" * 32
    assert trigger["dedup_key"] == "acme/0123456789abcdef" == resolve["dedup_key"]
    p = trigger["payload"]
    assert p["summary"] == "[FIRING:1] DiskFull" and p["severity"] == "critical" and p["source"] == "observer-eye/acme"
    assert p["timestamp"].startswith("2027-01-15T") and p["custom_details"]["alerts"][0]["fingerprint"] == "f1"
    assert resolve == {"routing_key": "R" * 32, "dedup_key": "acme/0123456789abcdef", "event_action": "resolve"}
    http.script = [400]
    bad = await n.send(note("pagerduty", target, key="x"))
    assert not bad.delivered and not bad.retryable


# -- email --------------------------------------------------------------------------------


def email_target(smtp: SmtpReceiver, **extra) -> dict:
    return {"to": ["ops@example.com", "lead@example.com"], "from": "observer@example.com",
            "smarthost": f"127.0.0.1:{smtp.port}", "username": "oe", "password": "pw",
            "tls_ca_file": str(smtp.ca_file) if smtp.ca_file else None, **extra}


async def test_email_over_starttls_with_auth(tmp_path: Path):
    smtp = SmtpReceiver(tls_dir=tmp_path)
    try:
        n = notifier()
        result = await n.send(note("email", email_target(smtp), key="mail-1"))
        assert result.delivered, result.detail
        [env] = smtp.messages
        assert env.mail_from == "observer@example.com" and env.rcpt_tos == ["ops@example.com", "lead@example.com"]
        msg = message_from_bytes(env.original_content)
        assert msg["Subject"] == "[FIRING:1] DiskFull" and msg["Message-ID"] == "<mail-1@observer-eye>"
        assert "disk full on a" in msg.get_payload(decode=True).decode()
        assert smtp.logins == ["oe"]
        again = await n.send(note("email", email_target(smtp), key="mail-1"))
        assert again.delivered and len(smtp.messages) == 1
        wrong = await n.send(note("email", email_target(smtp, password="nope"), key="mail-2"))
        assert not wrong.delivered and wrong.status_code == 535 and not wrong.retryable
        untrusted = await n.send(note("email", email_target(smtp, tls_ca_file=None), key="mail-3"))
        assert not untrusted.delivered and "CERTIFICATE_VERIFY_FAILED" in untrusted.detail
    finally:
        smtp.close()


async def test_email_refuses_a_server_without_starttls():
    smtp = SmtpReceiver(tls_dir=None)
    try:
        target = {"to": ["ops@example.com"], "from": "o@example.com", "smarthost": f"127.0.0.1:{smtp.port}"}
        result = await notifier().send(note("email", target))
        assert not result.delivered and result.refused and "STARTTLS" in result.detail
        assert smtp.messages == []
        plain = await notifier().send(note("email", {**target, "starttls": False}, key="plain"))
        assert plain.delivered and len(smtp.messages) == 1
    finally:
        smtp.close()


class SilentSmtp:
    """Accepts a connection and never says a word (a hung relay); notes when the client hangs up."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.hung_up = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(30)
            try:
                while conn.recv(1024):
                    pass
            except OSError:
                pass
            self.hung_up.set()

    def close(self) -> None:
        self.sock.close()


async def test_a_cancelled_email_send_stops_its_thread_at_once():
    """The delivery's deadline cancels a send; the SMTP thread must not go on talking to
    the relay after its claim could lapse (the per-call timeout here is 30 s)."""
    relay = SilentSmtp()
    try:
        target = {"to": ["ops@example.com"], "from": "o@example.com", "smarthost": f"127.0.0.1:{relay.port}"}
        slow = ChannelNotifier(channel_notifiers(LOOPBACK, timeout_s=30))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(slow.send(note("email", target)), 0.5)
        assert await asyncio.to_thread(relay.hung_up.wait, 5), "the SMTP thread kept the connection open"
    finally:
        relay.close()


# -- the private-address guard ---------------------------------------------------------------


async def test_private_and_loopback_addresses_are_refused_unless_allowed(http: HttpReceiver):
    refused = await notifier(allow=[]).send(note("webhook", {"url": http.url()}))
    assert not refused.delivered and refused.refused and not refused.retryable
    assert "OBSERVER_OUTGOING_ALLOW" in refused.detail and http.requests == []
    by_name = await notifier(allow=["localhost"]).send(note("webhook", {"url": f"http://localhost:{http.port}/hook"}, key="n"))
    assert by_name.delivered, by_name.detail  # allowed by name (and if ::1 does not answer, 127.0.0.1 does)
    assert http.accepted()[0].headers["host"] == f"localhost:{http.port}"


async def test_email_to_a_private_relay_is_refused_unless_allowed(tmp_path: Path):
    smtp = SmtpReceiver(tls_dir=tmp_path)
    try:
        result = await notifier(allow=[]).send(note("email", email_target(smtp)))
        assert result.refused and smtp.messages == []
    finally:
        smtp.close()


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1",
])
async def test_the_guard_refuses_non_public_addresses(address: str):
    with pytest.raises(Refused):
        await OutgoingGuard().resolve(address, 80)


async def test_the_guard_checks_every_resolved_address_and_honours_the_allow_list():
    with pytest.raises(Refused):
        await OutgoingGuard().resolve("localhost", 80)
    assert await OutgoingGuard().resolve("93.184.215.14", 443) == "93.184.215.14"
    assert await OutgoingGuard().resolve("[2606:2800:21f:cb07:6820:80da:af6b:8b2c]", 443) == "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
    allowed = OutgoingGuard(["10.0.0.0/8", "*.corp.example", "hooks.internal"])
    assert await allowed.resolve("10.9.8.7", 80) == "10.9.8.7"
    with pytest.raises(Refused):
        await allowed.resolve("192.168.0.1", 80)
    assert allowed.host_allowed("a.corp.example") and allowed.host_allowed("HOOKS.internal.")
    assert not allowed.host_allowed("corp.example.evil")
    assert allowed.ip_allowed(ipaddress.ip_address("8.8.8.8"))
