"""Alerts: rules and their evaluation, alert state, and the notification pipeline
(silences and maintenance windows, inhibition, grouping, routing), with Prometheus and
Alertmanager semantics. Pure: time is always passed in as epoch milliseconds."""
