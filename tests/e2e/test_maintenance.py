"""A responder adds a maintenance window on the page (weekly, in a time zone); it is
listed with its state and next start, the API has it, and a bad matcher line is refused
on the page before anything is sent."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Stack
from tests.e2e.journeys import sign_in


def test_a_weekly_maintenance_window_added_on_the_page(page: Page, stack: Stack) -> None:
    sign_in(page, stack.people["rita"], "/settings/maintenance")
    form = page.get_by_role("form", name="New maintenance window")
    form.get_by_label("Name").fill("db patching")
    form.get_by_label("Repeats").select_option("weekly")
    form.get_by_label("Time zone").fill("Europe/Berlin")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    next_year = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 300 * 86_400))
    form.get_by_label("Valid from").fill(f"{today}T00:00")
    form.get_by_label("Valid until").fill(f"{next_year}T00:00")
    form.get_by_label(re.compile("^Matchers")).fill("just words")
    form.get_by_label("Why").fill("monthly kernel patches")
    form.get_by_role("button", name="Add window").click()
    expect(page.get_by_role("alert")).to_contain_text("Not a matcher: just words")

    form.get_by_label(re.compile("^Matchers")).fill('service="db"\nenv=~"prod|staging"')
    form.get_by_role("button", name="Add window").click()
    row = page.get_by_role("row").filter(has_text="db patching")
    expect(row).to_contain_text("weekly on Sat, Sun at 02:00 for 120 min")
    expect(row).to_contain_text(re.compile("upcoming|active"))
    with stack.client() as api:
        windows = api.get("/api/v1/maintenance-windows").json()["data"]
    mine = next(w for w in windows if w["name"] == "db patching")
    assert mine["schedule"]["timezone"] == "Europe/Berlin" and mine["schedule"]["weekdays"] == [5, 6]
    assert mine["matchers"] == [{"name": "service", "op": "=", "value": "db"},
                                {"name": "env", "op": "=~", "value": "prod|staging"}]
