"""Stable fingerprints for alerts and alert groups.

A fingerprint identifies an alert (by its full label set) or a group (by its route and
grouping labels) across processes and restarts: it is stored, put on the bus and used
as a deduplication key. Python's ``hash`` is salted per process, so we hash the
canonical label text with blake2b instead. 16 lowercase hex characters (64 bits), the
width Alertmanager uses.

Fingerprints are *not* tenant-qualified: like Alertmanager's, they are a function of the
labels only. Everything that stores or looks them up is tenant-scoped, so callers key by
``(tenant, fingerprint)``.
"""

from __future__ import annotations

import hashlib

from domain.metrics.labels import LabelSet


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def fingerprint(labels: LabelSet) -> str:
    """The 16-hex-character fingerprint of a label set (order-independent by construction)."""
    return _digest(labels.canonical())


def group_fingerprint(route_id: str, group_labels: LabelSet) -> str:
    """The fingerprint of an alert group: the route it belongs to plus its grouping labels.

    The route takes part so the same labels grouped under two routes (``continue``)
    form two groups, each with its own timers, as in Alertmanager.
    """
    # Route ids never contain NUL (routing validates them), so the separator is unambiguous.
    return _digest(f"{route_id}\x00{group_labels.canonical()}")
