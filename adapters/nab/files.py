"""Reading and writing NAB's files with the standard library (csv, json).

Layout (see the corpus README): ``<root>/data/<category>/<name>.csv`` with columns
``timestamp,value``, and ``<root>/labels/combined_windows.json`` mapping
``"<category>/<name>.csv"`` to a list of ``[start, end]`` timestamps. Timestamps are
naive ``YYYY-MM-DD HH:MM:SS[.ffffff]`` strings, read as UTC epoch milliseconds so the
detectors (which take ``timestamp_ms``) and the scorer can compare them.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class NabFile:
    """One data file: its corpus name, raw timestamp strings, epoch ms and values."""

    name: str  # "<category>/<name>.csv", the key of the labels file
    raw_timestamps: list[str]
    timestamps: list[int]
    values: list[float]

    @property
    def category(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def stem(self) -> str:
        return self.name.split("/", 1)[1]


def parse_timestamp_ms(text: str) -> int:
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(round(moment.timestamp() * 1000))


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def list_files(data_dir: str | os.PathLike[str]) -> list[str]:
    """Every ``<category>/<name>.csv`` under ``data_dir``, sorted."""
    root = Path(data_dir)
    return sorted(f"{p.parent.name}/{p.name}" for p in root.glob("*/*.csv") if p.is_file())


def read_series(data_dir: str | os.PathLike[str], name: str) -> NabFile:
    raw, stamps, values = [], [], []
    with open(Path(data_dir) / name, newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            raw.append(row["timestamp"])
            stamps.append(parse_timestamp_ms(row["timestamp"]))
            values.append(_float(row["value"]))
    return NabFile(name, raw, stamps, values)


def find_labels(data_dir: str | os.PathLike[str]) -> Path:
    """The windows file for a data folder: ``DIR/../labels/`` as the README lays it out."""
    root = Path(data_dir).resolve()
    for candidate in (root.parent / "labels" / "combined_windows.json", root / "labels" / "combined_windows.json"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no labels/combined_windows.json next to {data_dir}; pass --labels")


def read_windows(path: str | os.PathLike[str]) -> dict[str, list[tuple[int, int]]]:
    """Label windows per file name, as epoch-ms ``(start, end)`` pairs."""
    with open(path) as fh:
        raw = json.load(fh)
    return {name: [(parse_timestamp_ms(a), parse_timestamp_ms(b)) for a, b in spans] for name, spans in raw.items()}


def write_scores(out_dir: str | os.PathLike[str], detector: str, series: NabFile, scores: Sequence[float]) -> Path:
    """``OUT/<category>/<detector>_<file>.csv`` with ``timestamp,value,anomaly_score``."""
    folder = Path(out_dir) / series.category
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{detector}_{series.stem}"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timestamp", "value", "anomaly_score"])
        for ts, value, score in zip(series.raw_timestamps, series.values, scores):
            writer.writerow([ts, repr(value), f"{score:.6f}"])
    return path

