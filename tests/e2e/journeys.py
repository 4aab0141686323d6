"""Steps the e2e journeys share: signing in through the page, waiting on the API."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
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


def open_incident(api: httpx.Client, name: str) -> dict:
    """An incident of its own: a rule on a metric named after ``name``, and one sample over
    its threshold; answers the incident once the pipeline opened it."""
    metric = f"e2e_{name.lower()}"
    rule = api.post("/api/v1/rules", json={"name": name, "selector": metric, "aggregation": "last", "window": "30s",
                                           "op": ">", "threshold": 1, "for": "0s", "labels": {"severity": "warning"},
                                           "annotations": {"summary": f"{name} is over"}})
    assert rule.status_code == 201, rule.text
    time.sleep(1.0)  # the evaluator takes rules up every evaluator_rules_refresh_s (0.5 s here)
    sent = api.post("/api/v1/ingest", json={"series": [{"name": metric, "labels": {"host": "web-1"},
                                                       "samples": [[int(time.time() * 1000), 5.0]]}]})
    assert sent.status_code == 202, sent.text
    incidents = eventually(lambda: api.get("/api/v1/incidents").json()["data"],
                           lambda d: any(i["title"] == f"{name} is over" for i in d), f"the incident of {name}")
    return next(i for i in incidents if i["title"] == f"{name} is over")


def csrf_token(page: Page) -> str:
    """The session's CSRF token (the ``oe_csrf`` cookie), for a write the page itself would not offer."""
    return next(c["value"] for c in page.context.cookies() if c["name"] == "oe_csrf")
