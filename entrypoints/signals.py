"""Termination signals for the long-running commands (consume, scrape, worker)."""

from __future__ import annotations

import asyncio
import signal


def stop_on_termination(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM or SIGINT, so a command ends its loops and closes its
    adapters instead of dying mid-write. Where the running loop cannot take signal
    handlers (not the main thread, as in tests; or a platform without them) the caller's
    ``stop`` is the only way to end it, and that is fine."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
