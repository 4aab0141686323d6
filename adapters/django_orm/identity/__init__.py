"""The identity context's Django app (label ``oe_identity``)."""
