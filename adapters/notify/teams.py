"""Microsoft Teams through a Workflows (Power Automate) webhook, the replacement of the
retired Office 365 connectors: the "post to a channel when a webhook request is
received" template expects a message whose attachment is an Adaptive Card.
It answers 202 Accepted."""

from __future__ import annotations

from adapters.notify.http import HttpChannel, dumps
from ports.notify import OutgoingNotification

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def adaptive_card(n: OutgoingNotification) -> dict:
    p = n.payload
    firing = p.get("status") == "firing"
    facts = [{"title": k, "value": str(v)} for k, v in sorted(dict(p.get("group_labels", {})).items())]
    body: list[dict] = [
        {"type": "TextBlock", "text": n.subject, "weight": "Bolder", "size": "Medium", "wrap": True,
         "color": "Attention" if firing else "Good"},
        {"type": "TextBlock", "text": n.body or " ", "wrap": True},
    ]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    body.append({"type": "TextBlock", "text": f"receiver {p.get('receiver', '')} · group {p.get('group_key', '')}",
                 "isSubtle": True, "size": "Small", "wrap": True})
    return {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "msteams": {"width": "Full"}, "body": body}


class TeamsNotifier(HttpChannel):
    channel = "teams"

    def build(self, n: OutgoingNotification) -> tuple[str, bytes, dict[str, str]]:
        doc = {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": adaptive_card(n)}]}
        return str(n.target["url"]), dumps(doc), {}
