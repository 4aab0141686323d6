"""Outgoing connections: the private-address guard every adapter that calls out uses, and runbook HTTP calls."""
