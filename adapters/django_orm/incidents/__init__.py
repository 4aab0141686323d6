"""The incidents context's Django app (label ``oe_incidents``)."""
