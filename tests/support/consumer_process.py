"""``observer-eye consume``, started warm: for the integration tests.

It runs exactly what ``python -m entrypoints.consume --group ...`` runs (``run_group``:
signals, graceful stop, closing the adapters), configured from ``OBSERVER_*`` like the
real process, but it first imports everything, prints ``ready`` and waits for a line on
stdin before joining its group. A test can so have a replacement writer warm before it
kills the running one: a restart costs a group join, not a Python start.

    python -m tests.support.consumer_process --group writer
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from entrypoints.consume import GROUPS, run_group
from entrypoints.container import build_container
from entrypoints.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--group", choices=GROUPS, required=True)
    args = parser.parse_args()
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")
    container = build_container(settings)
    container.sample_store()  # imports the store's modules now, not after "go"
    print("ready", flush=True)
    sys.stdin.readline()
    return asyncio.run(run_group(container, args.group))


if __name__ == "__main__":
    sys.exit(main())
