"""The dashboard's layout is the user's, kept by the API: arranged in one browser, it is
there in a fresh one (no shared localStorage), and the API holds it."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP, Stack, invite
from tests.e2e.journeys import eventually, sign_in


def test_a_rearranged_dashboard_follows_the_user_to_a_fresh_browser(browser: Browser, stack: Stack) -> None:
    with stack.client() as api:
        lou = invite(api, "lou", "viewer")  # a user of this test's own: the other journeys keep the default

    first = browser.new_context(base_url=stack.url, viewport=DESKTOP, timezone_id="UTC")
    first.set_default_timeout(20_000)
    page = first.new_page()
    sign_in(page, lou)
    titles = page.locator("section.tile h2")
    expect(titles.first).to_have_text("Open incidents by severity")
    page.get_by_role("button", name="Arrange").click()
    page.get_by_role("group", name="Arrange Firing alerts").get_by_role("button", name="Remove tile").click()
    for _ in range(3):  # from fourth (once the alerts are gone) to first
        page.get_by_role("group", name="Arrange CPU of this host").get_by_role("button", name="Move earlier").click()
    expect(page.get_by_role("status").filter(has_text="Layout saved")).to_be_visible()
    arranged = titles.all_inner_texts()
    assert "Firing alerts" not in arranged and arranged.index("CPU of this host") == 0, arranged
    ids = titles.evaluate_all("(hs) => hs.map((h) => h.id.replace(/^tile-/, ''))")
    eventually(lambda: page.request.get("/api/v1/me/preferences").json()["data"]["dashboard_layout"] or [],
               lambda stored: [t["id"] for t in stored] == ids, "the arranged layout stored by the API")
    first.close()

    fresh = browser.new_context(base_url=stack.url, viewport=DESKTOP, timezone_id="UTC")
    fresh.set_default_timeout(20_000)
    try:
        page = fresh.new_page()
        sign_in(page, lou)
        expect(page.locator("section.tile h2")).to_have_text(arranged)
    finally:
        fresh.close()
