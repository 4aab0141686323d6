"""The postmortem workflow: draft on resolve, owner, reminders, publish closes the incident."""
