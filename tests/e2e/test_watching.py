"""Everyone who watches their systems: the dashboard's tiles show data, and the
Performance page completes and runs a PromQL query whose chart draws and moves as the
host agent's samples arrive (no reload)."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Stack
from tests.e2e.journeys import sign_in



def points(chart: Locator) -> int:
    return int(chart.get_attribute("data-points") or 0)


def last_ms(chart: Locator) -> int:
    return int(chart.get_attribute("data-last-ms") or 0)


def canvas_has_ink(chart: Locator) -> bool:
    """Some pixel of the chart's canvas is drawn (uPlot draws on a canvas: no DOM to read)."""
    return chart.locator("canvas").first.evaluate(
        """(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true; return false; }""")


def test_the_dashboards_tiles_show_data(page: Page, stack: Stack) -> None:
    sign_in(page, stack.admin)
    cpu = page.get_by_role("img", name=re.compile("CPU utilisation"))
    expect(cpu).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"), timeout=30_000)
    assert canvas_has_ink(cpu)
    # The latest value, beside the series in the legend: a percentage, not NaN.
    expect(page.locator("oe-cpu-tile oe-series-legend .value").first).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    # This host's CPU chart moves: the agent's samples reach the tile through the stream, no reload.
    before = last_ms(cpu)
    page.wait_for_function(
        "(before) => +document.querySelector('oe-cpu-tile [role=img]').dataset.lastMs > before", arg=before,
        timeout=30_000)
    assert last_ms(cpu) > before
    series = page.get_by_role("region", name="Series activity")
    expect(series).to_contain_text(re.compile(r"[1-9]\d*\s*active series"), timeout=30_000)
    expect(page.get_by_role("region", name="Open incidents by severity")).not_to_contain_text("Loading")
    expect(page.get_by_role("region", name="Compliance score")).not_to_contain_text("Loading", timeout=30_000)
    expect(page.get_by_role("region", name="On call now")).not_to_contain_text("Loading")


def test_a_query_draws_a_chart_that_moves_with_live_data(page: Page, stack: Stack) -> None:
    sign_in(page, stack.admin, "/performance")
    editor = page.get_by_role("combobox", name="PromQL expression").first
    # Completion from the PromQL API: metric names, then the metric's label names and values.
    editor.fill("")
    editor.press_sequentially("max by (host) (system_cpu_ut")
    page.get_by_role("option", name="system_cpu_utilization_ratio").click()
    editor.press_sequentially("{c")
    page.get_by_role("option", name="cpu", exact=True).click()
    editor.press_sequentially('"tot')
    page.get_by_role("option", name="total", exact=True).click()
    editor.press_sequentially("})")
    expect(editor).to_have_value('max by (host) (system_cpu_utilization_ratio{cpu="total"})')
    page.get_by_role("button", name="Run").first.click()
    expect(page).to_have_url(re.compile(r"[?&]q="))  # the query is in the URL: a link reproduces it
    chart = page.locator("oe-query-panel [role=img]").first
    expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"), timeout=30_000)
    assert canvas_has_ink(chart)
    expect(page.locator("oe-query-panel oe-series-legend .value").first).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
    before = last_ms(chart)
    # The agent sends every second; the stream brings them in without a reload.
    page.wait_for_function(f"() => +document.querySelector('oe-query-panel [role=img]').dataset.lastMs > {before}",
                           timeout=30_000)
    assert last_ms(chart) > before
