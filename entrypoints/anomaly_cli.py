"""``observer-eye anomaly nab``: run a detector over the NAB corpus and score it.

Why an entrypoint: it composes the file adapter (``adapters.nab``) with the benchmark
use case (``services.anomaly_benchmark``) and the domain's detectors; the lead hooks
``add_parser`` into ``entrypoints/cli.py``.

    observer-eye anomaly nab --data DIR --out OUT [--detector NAME] [--labels PATH]

``DIR`` holds ``<category>/<name>.csv`` (the corpus's ``data/`` folder; the corpus root
is accepted too). Output: ``OUT/<category>/<detector>_<name>.csv`` with
``timestamp,value,anomaly_score``; then the score lines (see ``format_report``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from adapters.nab import find_labels, list_files, read_series, read_windows, write_scores
from domain.anomaly import BEST, DETECTORS, make_detector
from services.anomaly_benchmark import FileResult, format_report, run_file, score_corpus


def _data_dir(path: str) -> Path:
    """The folder holding the category folders: ``DIR`` itself or ``DIR/data``."""
    root = Path(path)
    if not list_files(root) and list_files(root / "data"):
        return root / "data"
    return root


def run_nab(data: str, out: str | None, detector: str, labels: str | None = None) -> tuple[list[str], float]:
    """Run and score; returns the report lines and the seconds it took."""
    started = time.perf_counter()
    data_dir = _data_dir(data)
    names = list_files(data_dir)
    if not names:
        raise FileNotFoundError(f"no <category>/<name>.csv under {data}")
    windows = read_windows(labels or find_labels(data_dir))
    results: list[FileResult] = []
    for name in names:
        series = read_series(data_dir, name)
        result = run_file(lambda: make_detector(detector), name, series.timestamps, series.values, windows.get(name, []))
        if out:
            write_scores(out, detector, series, result.scores)
        results.append(result)
    lines = format_report(detector, len(results), score_corpus(results))
    return lines, time.perf_counter() - started


def cmd_nab(args: argparse.Namespace) -> int:
    try:
        lines, _ = run_nab(args.data, args.out, args.detector, args.labels)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        print(f"observer-eye anomaly nab: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line, flush=True)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``anomaly`` (subcommand ``nab``) on the main CLI's subparsers."""
    anomaly = subparsers.add_parser("anomaly", help="streaming anomaly detection tools")
    sub = anomaly.add_subparsers(dest="anomaly_command", required=True)
    nab = sub.add_parser("nab", help="run a detector over the NAB corpus and score it")
    nab.add_argument("--data", required=True, help="folder of <category>/<name>.csv files")
    nab.add_argument("--out", required=True, help="folder for <category>/<detector>_<name>.csv outputs")
    nab.add_argument("--detector", default=BEST, choices=sorted(DETECTORS), help=f"default: {BEST}")
    nab.add_argument("--labels", help="combined_windows.json (default: DIR/../labels/)")
    nab.set_defaults(func=cmd_nab, uses_data_dir=False)
