"""The notifications context's Django app (label ``oe_notifications``)."""
