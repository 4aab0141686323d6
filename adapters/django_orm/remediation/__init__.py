"""The remediation context's Django app (label ``oe_remediation``): the runbook catalogue."""
