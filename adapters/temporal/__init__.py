"""Temporal: the workflow-engine port (client), the embedded dev server, the worker,
and Temporal Schedules for recurring jobs."""
