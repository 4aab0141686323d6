"""The evaluator's checkpoints: per-(rule, series) state kept outside the process.

Why a port of its own (and not the cache): the evaluator's in-memory state (a rule's
window of recent samples, a detector's learned baseline) takes minutes to days to
rebuild from the stream. Checkpointing it lets a restarted evaluator, or the member a
rebalance moved the partition to, carry on where the last one stopped instead of
starting cold (docs/adr/0007-evaluator-state.md).

A key is ``(tenant, rule id, slot)``; the slot is a series id, or a negative number for
state of the rule that is not a series' (absence rules: ``-1 - partition``). A value
is a JSON object (numbers may be NaN or ±Inf). Every value expires ``ttl_s`` after it
was last saved, so the state of a series that went away, or of a deleted rule, does
not stay forever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

StateKey = tuple[str, str, int]
"""(tenant, rule id, slot): the slot is a series id, or negative for rule-wide state."""


class EvaluatorStateStore(Protocol):
    async def load(self, keys: Sequence[StateKey]) -> dict[StateKey, dict[str, Any]]:
        """The stored state of each of ``keys`` that has one (never saved, or expired:
        left out of the answer). One round trip, however many keys."""
        ...

    async def save(self, items: Mapping[StateKey, dict[str, Any]], ttl_s: float) -> None:
        """Replace the state of each key; each expires ``ttl_s`` seconds after this save.

        A value is stored as JSON: what ``load`` returns is an equal, independent copy.
        """
        ...

    async def delete(self, keys: Sequence[StateKey]) -> None:
        """Forget the state of ``keys`` (absent keys are fine)."""
        ...
