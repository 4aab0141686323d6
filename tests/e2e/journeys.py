"""Steps the e2e journeys share: signing in through the page, waiting on the API."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TypeVar

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Person

T = TypeVar("T")


def sign_in(page: Page, person: Person, path: str = "/dashboard") -> None:
    """The sign-in form, as a person fills it in; ends on ``path``."""
    page.goto(f"/login?next={path}")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def eventually(fetch: Callable[[], T], ok: Callable[[T], bool], what: str, timeout_s: float = 30.0) -> T:
    """Polls the API (not the page) until ``ok``; the failure names what never happened."""
    deadline = time.monotonic() + timeout_s
    value = fetch()
    while not ok(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen in {timeout_s}s; last: {str(value)[:500]}")
        time.sleep(0.25)
        value = fetch()
    return value
