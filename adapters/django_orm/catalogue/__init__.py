"""The metrics catalogue context's Django app (label ``oe_catalogue``)."""
