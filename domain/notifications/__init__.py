"""Notifications: channels, messages rendered from templates, delivery attempts and
their audit. Pure: the wire formats of each channel live in ``adapters/notify``."""
