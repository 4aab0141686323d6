"""Remediation: runbooks of steps with approval gates and compensations (a saga)."""
