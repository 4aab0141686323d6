"""The incident workflow: escalation, responder actions, remediation and postmortem children."""
