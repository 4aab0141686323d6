"""Notification channels (``ports.notify.Notifier``): webhook (HMAC-signed), Slack
incoming webhooks, Microsoft Teams workflow webhooks, email over SMTP with STARTTLS,
PagerDuty Events v2, and ``ChannelNotifier`` that serves them all by channel type.

Every outgoing connection goes through ``guard.OutgoingGuard``: private, loopback,
link-local and other non-public addresses are refused unless allowed."""
