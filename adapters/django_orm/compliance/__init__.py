"""The compliance context's Django app (label ``oe_compliance``)."""
