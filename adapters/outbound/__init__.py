"""Outgoing HTTP calls of remediation runbook steps."""
