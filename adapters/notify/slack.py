"""Slack incoming webhooks (https://api.slack.com/messaging/webhooks): ``text`` as the
notification fallback, Block Kit blocks for the message. The webhook URL is the secret;
it is never logged. Slack answers 200 ``ok``; a revoked or archived hook answers 4xx,
which is final."""

from __future__ import annotations

from adapters.notify.http import HttpChannel, dumps
from ports.notify import OutgoingNotification

HEADER_LIMIT = 150  # Slack's limit for a header block's text
SECTION_LIMIT = 3000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SlackNotifier(HttpChannel):
    channel = "slack"

    def build(self, n: OutgoingNotification) -> tuple[str, bytes, dict[str, str]]:
        doc: dict = {
            "text": _cut(f"{n.subject}\n{n.body}", 4000),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": _cut(n.subject, HEADER_LIMIT), "emoji": True}},
                {"type": "section", "text": {"type": "mrkdwn", "text": _cut(n.body or " ", SECTION_LIMIT)}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": f"receiver `{n.payload.get('receiver', '')}` · "
                                                                           f"group `{n.payload.get('group_key', '')}`"}]},
            ],
        }
        for name in ("channel", "username", "icon_emoji"):
            if n.target.get(name):
                doc[name] = n.target[name]
        return str(n.target["url"]), dumps(doc), {}
