"""On call: an admin adds a schedule on the page; who is on call now and a week's
calendar show it; a responder takes a shift (an override) and the calendar shows them."""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Stack
from tests.e2e.journeys import sign_in

DAY_MS = 86_400_000


def daily(schedule_id: str, name: str, users: list[str]) -> dict:
    start = (int(time.time() * 1000) // DAY_MS - 3) * DAY_MS  # three days ago, midnight UTC
    return {"id": schedule_id, "name": name, "timezone": "UTC", "layers": [
        {"name": "daily", "rotation": {"users": users, "start_ms": start, "handoff_time": "00:00",
                                       "timezone": "UTC", "length": "daily"}}]}


def test_a_schedule_added_on_the_page_shows_who_is_on_call(page: Page, stack: Stack) -> None:
    schedule = daily("e2e-web", "E2E web", ["rita", "sam"])
    sign_in(page, stack.admin, "/settings/oncall")
    editor = page.get_by_role("form", name="Schedule editor")
    editor.get_by_role("textbox").fill(json.dumps(schedule))
    editor.get_by_role("button", name="Add").click()
    row = page.get_by_role("row").filter(has_text="E2E web")
    expect(row).to_contain_text(re.compile("rita|sam"))
    row.get_by_role("button", name="E2E web").click()
    week = page.get_by_role("region", name="This week")
    expect(week.locator(".day")).to_have_count(7)
    expect(week.locator(".shift").filter(has_text="rita").first).to_be_visible()
    expect(week.locator(".shift").filter(has_text="sam").first).to_be_visible()


def test_a_responder_takes_a_shift(page: Page, stack: Stack) -> None:
    with stack.client() as api:
        made = api.post("/api/v1/schedules", json=daily("e2e-db", "E2E db", ["sam", "rita"]))
        assert made.status_code == 201, made.text
    sign_in(page, stack.people["rita"], "/settings/oncall")
    row = page.get_by_role("row").filter(has_text="E2E db")
    row.get_by_role("button", name="E2E db").click()
    expect(page.get_by_role("form", name="Schedule editor")).to_have_count(0)  # a responder edits no schedule
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + DAY_MS / 1000))
    form = page.get_by_role("form", name="Take a shift")
    form.get_by_label("Who").fill("vera")
    form.get_by_label("From").fill(f"{tomorrow}T10:00")
    form.get_by_label("Until").fill(f"{tomorrow}T12:00")
    form.get_by_role("button", name="Take the shift").click()
    week = page.get_by_role("region", name="This week")
    expect(week.locator(".shift").filter(has_text="vera")).to_contain_text(re.compile(r"10:00.*12:00"))
