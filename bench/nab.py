"""NAB benchmark: run the best detector (or ``--detector``) over the corpus and score it.

    .venv/bin/python bench/nab.py [NAB_ROOT] [--detector NAME] [--out DIR]

``NAB_ROOT`` defaults to ``../shared/data/nab`` relative to the repository (it holds
``data/`` and ``labels/``). Prints the CLI's score lines and the wall time. Not part of
the test run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from domain.anomaly import BEST, DETECTORS  # noqa: E402
from entrypoints.anomaly_cli import run_nab  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(REPO.parent / "shared" / "data" / "nab"))
    parser.add_argument("--detector", default=BEST, choices=sorted(DETECTORS))
    parser.add_argument("--out", help="where to write the score CSVs (default: a temporary folder)")
    args = parser.parse_args()
    root = Path(args.root)
    with tempfile.TemporaryDirectory() as tmp:
        lines, seconds = run_nab(str(root / "data"), args.out or tmp, args.detector, str(root / "labels" / "combined_windows.json"))
    for line in lines:
        print(line)
    print(f"nab seconds={seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
