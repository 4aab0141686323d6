"""The remediation workflow: runbook steps, approval gates, retries, compensation (saga)."""
