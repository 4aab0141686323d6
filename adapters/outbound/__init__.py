"""Outgoing connections: the private-address guard every adapter that calls out uses, the shared TLS client context, and runbook HTTP calls."""
