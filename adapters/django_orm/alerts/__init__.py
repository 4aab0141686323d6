"""The alerts context's Django app (label ``oe_alerts``)."""
