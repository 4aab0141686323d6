"""A viewer follows incidents but may not act: the pages offer no write, and when a
page is made to offer one anyway the API refuses it and the page shows the API's problem."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import Stack
from tests.e2e.journeys import csrf_token, open_incident, sign_in

RESPONDER_PERMISSIONS = ["incidents:act", "incidents:manage", "silences:manage", "rules:manage"]


def test_a_viewer_sees_no_write_and_the_api_refuses_it_anyway(page: Page, stack: Stack) -> None:
    with stack.client() as api:
        incident = open_incident(api, "ViewerWatches")
    sign_in(page, stack.people["vera"], f"/incidents/{incident['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ViewerWatches is over")
    expect(page.get_by_text("your role cannot act on it")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(page.get_by_role("button", name="Add note")).to_have_count(0)
    page.goto("/alerts/rules")
    expect(page.get_by_role("heading", name="Alert rules")).to_be_visible()
    expect(page.get_by_role("button", name="New rule")).to_have_count(0)
    page.goto("/performance")
    expect(page.get_by_role("heading", name="Performance")).to_be_visible()
    expect(page.get_by_role("button", name="Save to dashboard…")).to_have_count(0)
    page.goto("/dashboards")
    expect(page.get_by_role("heading", name="Dashboards")).to_be_visible()
    expect(page.get_by_label("Import JSON…")).to_have_count(0)
    with stack.client() as api:  # the viewer reads dashboards; writing one is refused by the API
        made = api.post("/api/v1/dashboards", json={"title": "Viewer watches", "panels": [
            {"title": "Up", "queries": ["up"]}]}).json()["data"]
    page.goto(f"/dashboards/{made['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Viewer watches")
    expect(page.get_by_role("button", name="Delete dashboard")).to_have_count(0)
    refused = page.request.delete(f"/api/v1/dashboards/{made['id']}?version=1",
                                  headers={"X-CSRF-Token": csrf_token(page)})
    assert refused.status == 403 and "dashboards:manage" in refused.text(), refused.text()

    # The page believes the viewer may act (a doctored /auth/me): the API still says no.
    def claim_more(route: Route) -> None:
        me = route.fetch().json()
        me["data"]["permissions"] += RESPONDER_PERMISSIONS
        route.fulfill(json=me)

    page.route("**/api/v1/auth/me", claim_more)
    page.goto(f"/incidents/{incident['id']}")
    page.get_by_role("button", name="Acknowledge").click()
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("(403)")
    expect(problem).to_contain_text(re.compile(r"role 'viewer' lacks permission 'incidents:act'"))
    with stack.client() as api:
        assert api.get(f"/api/v1/incidents/{incident['id']}").json()["data"]["status"] == "triggered"
