"""Detectors by name, so rules and the CLI can choose one with a string and parameters.

``DETECTORS`` maps a name to a factory taking keyword parameters; ``restore`` rebuilds
a detector from its ``state()`` (the evaluator's checkpoint), whatever its kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.anomaly.detectors import BaselineDetector, Detector, EnsembleDetector, SeasonalDetector
from domain.anomaly.novelty import NoveltyDetector
from domain.errors import ValidationError

DETECTORS: dict[str, Callable[..., Detector]] = {
    "ewma": BaselineDetector,
    "seasonal": SeasonalDetector,
    "ensemble": EnsembleDetector,
    "novelty": NoveltyDetector,
}

#: The detector with the best NAB score on the development subset (all three profiles;
#: see bench/nab.py and docs/adr/0008-nab-detector.md): the default of the CLI.
#: "novelty" adds to the seasonal profile a range check, pattern memories on two time
#: scales that veto seasonal outliers of familiar shape unless they persist, and a
#: re-weighing of the evidence by how rare it has been lately.
BEST = "novelty"


def make_detector(name: str, **params: Any) -> Detector:
    """A fresh detector; ValidationError (field ``detector``) for an unknown name."""
    try:
        factory = DETECTORS[name]
    except KeyError:
        names = ", ".join(sorted(DETECTORS))
        raise ValidationError(f"unknown detector {name!r}; use one of {names}", field="detector") from None
    return factory(**params)


def restore(state: dict[str, Any]) -> Detector:
    """The detector a ``state()`` dict was taken from, ready to continue."""
    kind = state.get("kind")
    if kind not in DETECTORS:
        raise ValidationError(f"unknown detector kind {kind!r} in state", field="kind")
    return DETECTORS[kind].from_state(state)  # type: ignore[attr-defined]
