"""Streaming anomaly detectors with bounded per-series state (DESIGN.md §3, ``anomaly``).

Standard library only: every update is a handful of scalar operations on one point,
where numpy would cost more per call than it saves.
"""

from domain.anomaly.detectors import BaselineDetector, Detector, EnsembleDetector, SeasonalDetector
from domain.anomaly.novelty import NoveltyDetector
from domain.anomaly.registry import BEST, DETECTORS, make_detector, restore

__all__ = [
    "BEST",
    "DETECTORS",
    "BaselineDetector",
    "Detector",
    "EnsembleDetector",
    "NoveltyDetector",
    "SeasonalDetector",
    "make_detector",
    "restore",
]
