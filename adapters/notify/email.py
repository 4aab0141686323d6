"""Email over SMTP with STARTTLS (``smtplib`` in a worker thread: it blocks).

STARTTLS is required unless a channel sets ``"starttls": false``: a server that does not
offer it is refused rather than sent credentials and alert details in clear. The
certificate is verified against the smarthost's name (``tls_ca_file`` adds a private
CA; ``tls_insecure_skip_verify`` exists for labs only). Like HTTP, the connection goes
to the address the guard checked. ``Message-ID`` is derived from the idempotency key,
so a mail system that sees a retry can tell.

Failures: 4xx replies and connection errors are retried; 5xx replies (a refused
recipient, bad credentials) are final.

A send that is cancelled (the delivery's deadline passed: it must end before its claim
in the ledger does) stops its thread too: the connection is shut down, so the blocked
SMTP call returns at once and the thread sends nothing more.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate

from adapters.outbound.guard import OutgoingGuard, Refused
from adapters.notify.http import SentKeys
from ports.notify import DeliveryResult, OutgoingNotification


class _Session:
    """The connection of one send, so a cancelled send can cut it from the event loop."""

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.aborted = threading.Event()

    def check(self) -> None:
        if self.aborted.is_set():
            raise smtplib.SMTPServerDisconnected("the send was cancelled (its deadline passed)")

    def abort(self) -> None:
        self.aborted.set()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _PinnedSMTP(smtplib.SMTP):
    """Connects to ``address`` while speaking to (and verifying the certificate of) the host name."""

    def __init__(self, address: str, session: _Session, **kwargs) -> None:
        self._address = address
        self._session = session
        super().__init__(**kwargs)

    def _get_socket(self, host, port, timeout):  # noqa: ANN001 - smtplib's signature
        sock = socket.create_connection((self._address, port), timeout, self.source_address)
        self._session.sock = sock
        if self._session.aborted.is_set():  # cancelled while connecting
            sock.close()
            self._session.check()
        return sock


def _one_line(text: str) -> str:
    return " ".join(text.split())[:250]


def build_message(n: OutgoingNotification) -> EmailMessage:
    t = n.target
    msg = EmailMessage()
    msg["Subject"] = _one_line(n.subject)
    msg["From"] = str(t["from"])
    msg["To"] = ", ".join(t["to"])
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{n.idempotency_key}@observer-eye>"
    msg["X-Observer-Idempotency-Key"] = n.idempotency_key
    for name, value in dict(t.get("headers") or {}).items():
        msg[str(name)] = _one_line(str(value))
    msg.set_content(n.body or n.subject)
    return msg


class EmailNotifier:
    channel = "email"

    def __init__(self, guard: OutgoingGuard, timeout_s: float = 10.0) -> None:
        self._guard = guard
        self._timeout = timeout_s
        self._sent = SentKeys()

    def channels(self) -> frozenset[str]:
        return frozenset({self.channel})

    def _send(self, n: OutgoingNotification, address: str, host: str, port: int, session: _Session) -> None:
        t = n.target
        context = ssl.create_default_context(cafile=t.get("tls_ca_file") or None)
        if t.get("tls_insecure_skip_verify"):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        with _PinnedSMTP(address, session, host=host, port=port, timeout=self._timeout) as smtp:
            session.check()
            smtp.ehlo()
            if t.get("starttls", True):
                if not smtp.has_extn("starttls"):
                    raise Refused(f"{host}:{port} does not offer STARTTLS; refusing to send in clear "
                                  "(set starttls false on the channel to allow it)")
                smtp.starttls(context=context)
                smtp.ehlo()
            if t.get("username"):
                smtp.login(str(t["username"]), str(t.get("password") or ""))
            session.check()
            smtp.send_message(build_message(n), from_addr=str(t["from"]), to_addrs=list(t["to"]))

    async def send(self, notification: OutgoingNotification) -> DeliveryResult:
        if notification.idempotency_key in self._sent:
            return DeliveryResult(True, detail="already sent")
        try:
            host, _, port_text = str(notification.target["smarthost"]).rpartition(":")
            port = int(port_text)
            addresses = await self._guard.resolve_all(host, port)
            for i, address in enumerate(addresses):  # the next checked address if one does not answer
                session = _Session()
                try:
                    await asyncio.to_thread(self._send, notification, address, host.strip("[]"), port, session)
                    break
                except asyncio.CancelledError:
                    session.abort()
                    raise
                except ConnectionRefusedError:
                    if i == len(addresses) - 1:
                        raise
        except Refused as exc:
            return DeliveryResult(False, detail=str(exc), refused=True)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return DeliveryResult(False, max(codes, default=None), f"recipients refused: {exc.recipients}",
                                  retryable=all(400 <= c < 500 for c in codes))
        except smtplib.SMTPResponseException as exc:
            return DeliveryResult(False, exc.smtp_code, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                                  retryable=400 <= exc.smtp_code < 500)
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            return DeliveryResult(False, detail=f"{type(exc).__name__}: {exc}", retryable=True)
        except (KeyError, ValueError, TypeError) as exc:
            return DeliveryResult(False, detail=f"bad email settings: {exc!r}", refused=True)
        self._sent.add(notification.idempotency_key)
        return DeliveryResult(True, 250)
