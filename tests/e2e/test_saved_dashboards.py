"""Panels saved into dashboards per tenant, with JSON export and import: a responder saves
the Performance page's chart into a new dashboard, opens it (the chart draws), exports it
as a file, imports the file as a copy (and a broken file shows its problems)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP, Stack
from tests.e2e.journeys import sign_in

QUERY = 'max by (host) (system_cpu_utilization_ratio{cpu="total"})'


def test_save_a_panel_open_export_and_import_a_copy(browser: Browser, stack: Stack, tmp_path) -> None:
    context = browser.new_context(base_url=stack.url, viewport=DESKTOP, timezone_id="UTC", accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in(page, stack.people["rita"], "/performance")
        editor = page.get_by_role("combobox", name="PromQL expression").first
        editor.fill(QUERY)
        page.get_by_role("button", name="Run").first.click()
        page.get_by_role("button", name="stacked").click()
        expect(page).to_have_url(re.compile(r"mode=stacked"))

        page.get_by_role("button", name="Save to dashboard…").click()
        form = page.get_by_role("form", name="Save to dashboard")
        form.get_by_role("button", name="Save panel").click()  # no titles yet: said so, nothing sent
        expect(form.get_by_role("alert")).to_contain_text("title")
        form.get_by_label("Dashboard title").fill("E2E fleet")
        form.get_by_label("Panel title").fill("CPU by host")
        form.get_by_role("button", name="Save panel").click()
        saved = form.get_by_role("status")
        expect(saved).to_contain_text("Saved to E2E fleet (1 panel(s))")
        saved.get_by_role("link", name="E2E fleet").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("E2E fleet")
        original = page.url
        panel = page.get_by_role("region", name="Panel CPU by host")
        chart = panel.locator("oe-query-panel [role=img]").first
        expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"), timeout=30_000)

        with page.expect_download() as download:
            page.get_by_role("button", name="Export JSON").click()
        file = tmp_path / download.value.suggested_filename
        download.value.save_as(file)
        assert file.name == "E2E-fleet.dashboard.json"
        exported = json.loads(file.read_text())
        assert exported["schema"] == "observer-eye.dashboard/v1" and exported["title"] == "E2E fleet"
        assert [(p["title"], p["queries"], p["chart"]) for p in exported["panels"]] == [("CPU by host", [QUERY], "stacked")]

        page.goto("/dashboards")
        expect(page.get_by_role("link", name="E2E fleet")).to_have_count(1)
        importer = page.get_by_label("Import JSON…")
        importer.set_input_files(files=[{"name": "broken.json", "mimeType": "application/json",
                                         "buffer": b'{"title": "Broken", "panels": [{"title": "no queries"}]}'}])
        expect(page.get_by_role("alert")).to_contain_text("panels[0].queries")

        importer.set_input_files(str(file))
        expect(page).not_to_have_url(re.compile(r"/dashboards$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("E2E fleet")
        assert page.url != original
        copy = page.get_by_role("region", name="Panel CPU by host").locator("oe-query-panel [role=img]").first
        expect(copy).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"), timeout=30_000)
        page.goto("/dashboards")
        expect(page.get_by_role("link", name="E2E fleet")).to_have_count(2)
    finally:
        context.close()
