"""Every page, in the light and the dark theme, at desktop and phone width: a screenshot
into var/screenshots/ (README, "The dashboard") and an accessibility check with axe-core
(the npm package pinned in frontend/package.json, injected from node_modules) that
finds no serious or critical violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, ROOT, SCREENSHOTS, Stack
from tests.e2e.journeys import open_incident, sign_in

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
# (file name, path); {incident} and {alert} are filled in with a live incident and its alert,
# {dashboard} with a saved dashboard.
PAGES = [
    ("login", "/login"),
    ("dashboard", "/dashboard"),
    ("performance", "/performance?q=%7B%22expr%22%3A%22max%20by%20%28host%29%20%28rate%28system_network_io_bytes_total%5B1m%5D%29%29%22%7D"),
    ("dashboards", "/dashboards"),
    ("saved-dashboard", "/dashboards/{dashboard}"),
    ("alerts", "/alerts"),
    ("alert", "/alerts/{alert}"),
    ("alert-rules", "/alerts/rules"),
    ("silences", "/alerts/silences"),
    ("incidents", "/incidents"),
    ("incident", "/incidents/{incident}"),
    ("compliance", "/compliance"),
    ("analytics", "/analytics"),
    ("settings-profile", "/settings/profile"),
    ("settings-notifications", "/settings/notifications"),
    ("settings-users", "/settings/users"),
    ("settings-teams", "/settings/teams"),
    ("settings-roles", "/settings/roles"),
    ("settings-api-keys", "/settings/api-keys"),
    ("settings-audit", "/settings/audit"),
    ("settings-runbooks", "/settings/runbooks"),
    ("settings-routing", "/settings/routing"),
    ("settings-oncall", "/settings/oncall"),
    ("settings-maintenance", "/settings/maintenance"),
    ("settings-tenants", "/settings/tenants"),
]
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def tour(browser: Browser, stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A signed-in admin's browser state, and an incident with its alert to show."""
    assert AXE.is_file(), f"{AXE} is missing: run `bash scripts/frontend.sh install`"
    with stack.client() as api:
        incident = open_incident(api, "PagesTour")
        saved = api.post("/api/v1/dashboards", json={"title": "Pages tour", "description": "every chart kind", "panels": [
            {"title": f"CPU ({chart})", "queries": ['max by (host) (system_cpu_utilization_ratio{cpu="total"})'],
             "chart": chart, "range": {"from": "now-15m", "to": "now", "timezone": "UTC"}}
            for chart in ("line", "table")]})
        assert saved.status_code == 201, saved.text
    context = browser.new_context(base_url=stack.url, viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, stack.admin)
    state = tmp_path_factory.mktemp("tour") / "state.json"
    context.storage_state(path=str(state))
    context.close()
    yield {"state": str(state), "incident": incident["id"], "alert": incident["alerts"][0],
           "dashboard": saved.json()["data"]["id"]}


def axe_violations(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in SERIOUS]


def describe(violation: dict) -> str:
    targets = "; ".join(" ".join(n["target"]) for n in violation["nodes"][:5])
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"


@pytest.mark.parametrize(("theme", "size"), [("light", "desktop"), ("dark", "desktop"), ("light", "phone"), ("dark", "phone")])
def test_every_page_screenshot_and_accessibility(browser: Browser, stack: Stack, tour: dict[str, str], theme: str,
                                                 size: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    viewport = DESKTOP if size == "desktop" else PHONE
    # bypass_csp: axe-core is injected as a script the page's CSP (script-src 'self') would refuse.
    context = browser.new_context(base_url=stack.url, viewport=viewport, color_scheme=theme, timezone_id="UTC",
                                  storage_state=tour["state"], bypass_csp=True, is_mobile=size == "phone",
                                  has_touch=size == "phone")
    context.set_default_timeout(20_000)
    found: list[str] = []
    try:
        for name, path in PAGES:
            page = context.new_page()
            if name == "login":  # the sign-in page shows only to someone signed out
                page.context.clear_cookies()
            page.goto(path.format(**tour))
            expect(page.locator("h1").first).to_be_visible()
            expect(page.locator("html")).to_have_attribute("data-theme", theme)
            page.wait_for_load_state("networkidle")
            expect(page.get_by_text("Loading…")).to_have_count(0)
            shot = SCREENSHOTS / f"{name}-{theme}-{size}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 0
            found += [f"{name} ({theme}, {size}): {describe(v)}" for v in axe_violations(page)]
            page.close()
            if name == "login":
                context.add_cookies(_cookies(tour["state"]))
    finally:
        context.close()
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)


def _cookies(state_file: str) -> list:
    import json

    return json.loads(Path(state_file).read_text())["cookies"]
