"""The dashboard's budgets (issue 13), measured on the embedded stack in a real browser.

``observer-eye run`` (what ``make run`` starts, tests/support/embedded_stack.py) serves
the production build; Debian's Chromium (``/usr/bin/chromium``) drives it through
Playwright, signed in as the local admin. Four parts, each prints its figure:

1. initial JavaScript transferred: the scripts ``index.html`` loads before any page
   chunk (``<script>`` and ``modulepreload``), as the API sends them gzip-compressed;
   goal <= 250 kB;
2. navigation to the dashboard's tiles showing data (every tile past "Loading…", the CPU
   chart with points): a first visit (new browser context, empty cache) and the median
   of warm reloads, measured in the page from its navigation start;
3. ingest to tile: a sample of ``system_cpu_utilization_ratio{cpu="total"}`` for a
   host of its own is pushed through ``POST /api/v1/ingest`` while the dashboard is
   open; the time until the CPU tile's legend shows that value (p50, p95); goal p95 <= 1 s;
4. frame time while a chart updates: the Performance page charting 50 series of 2,000
   points while new samples for all 50 stream in; requestAnimationFrame intervals (p50,
   p95, max) and the long tasks the browser reports.

    .venv/bin/python bench/frontend.py [--warm-runs 5] [--ingest-samples 20] [--frame-seconds 10]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.support.embedded_stack import EmbeddedStack  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
BUILD = ROOT / "frontend" / "dist" / "observer-eye" / "browser"
CPU = "system_cpu_utilization_ratio"
BENCH_HOST = "bench-ingest"
CHART_SERIES, CHART_POINTS = 50, 2_000
CHART_METRIC = "bench_frame_series"

# True once every tile shows something other than "Loading…" and the CPU chart has
# points; records when (ms since navigation start) the first time it holds.
TILES_READY = """() => {
  const tiles = [...document.querySelectorAll('section.tile')];
  const cpu = document.querySelector('oe-cpu-tile [role=img]');
  const ready = tiles.length > 0 && tiles.every((t) => !t.textContent.includes('Loading…'))
    && cpu !== null && +cpu.dataset.points > 0;
  if (ready && window.__tilesAt === undefined) window.__tilesAt = performance.now();
  return ready;
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def initial_javascript(base: str) -> tuple[int, int, list[str]]:
    """(gzip bytes, raw bytes, files) of the scripts index.html loads up front."""
    with httpx.Client(base_url=base, timeout=10) as client:
        index = client.get("/").text
        files = re.findall(r'<script[^>]+src="([^"]+\.js)"', index) + re.findall(
            r'<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"', index)
        compressed = raw = 0
        for name in dict.fromkeys(files):
            resp = client.get(f"/{name.lstrip('/')}", headers={"Accept-Encoding": "gzip"})
            resp.raise_for_status()
            body = resp.content  # httpx inflates; measure what went over the wire
            raw += len(body)
            sent = resp.num_bytes_downloaded
            compressed += sent if resp.headers.get("content-encoding") == "gzip" else len(gzip.compress(body, 9))
    return compressed, raw, list(dict.fromkeys(files))


def sign_in(page: Page, password: str) -> None:
    page.goto("/login?next=/dashboard")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/dashboard$"))


def tiles_time(page: Page) -> float:
    page.wait_for_function(TILES_READY, polling="raf", timeout=60_000)
    return page.evaluate("() => window.__tilesAt")


def ingest(client: httpx.Client, series: list[dict]) -> None:
    resp = client.post("/api/v1/ingest", json={"series": series})
    assert resp.status_code == 202, resp.text


def ingest_to_tile(page: Page, client: httpx.Client, samples: int) -> list[float]:
    """Seconds from sending a sample to the CPU tile's legend showing its value."""
    page.goto("/dashboard")
    page.wait_for_function(TILES_READY, polling="raf", timeout=60_000)
    row = page.locator("oe-cpu-tile oe-series-legend li").filter(has_text=f'host="{BENCH_HOST}"')
    waits: list[float] = []
    for i in range(samples + 1):
        ratio = (i % 99 + 1) / 1000  # 0.1% .. 9.9%: each shown differently (formatValue: one decimal under 10%)
        shown = f"{ratio * 100:.1f}%"
        sent = time.perf_counter()
        ingest(client, [{"name": CPU, "labels": {"cpu": "total", "host": BENCH_HOST},
                         "samples": [[int(time.time() * 1000), ratio]]}])
        row.locator(".value").filter(has_text=re.compile(f"^{re.escape(shown)}$")).wait_for(timeout=30_000)
        if i:  # the first one adds the series to the chart: a full refetch, not the live path
            waits.append(time.perf_counter() - sent)
        time.sleep(1.2)  # past the chart's refetch throttle (TAIL_THROTTLE_MS), so each sample is measured alone
    return waits


def load_chart_series(client: httpx.Client, now_ms: int) -> None:
    start = now_ms - CHART_POINTS * 1000
    for first in range(0, CHART_SERIES, 10):  # 10 series x 2,000 samples per request (the batch limit is 100k)
        ingest(client, [{"name": CHART_METRIC, "labels": {"series": f"s{n:02d}"},
                         "samples": [[start + k * 1000, (n + 1) * (1 + (k % 60) / 60)] for k in range(CHART_POINTS)]}
                        for n in range(first, first + 10)])


def frame_times(page: Page, client: httpx.Client, seconds: float) -> tuple[list[float], list[float], int]:
    """rAF intervals (ms) and long tasks (ms) while the 50-series chart takes live samples."""
    query = urllib.parse.quote(json.dumps({"expr": CHART_METRIC}, separators=(",", ":")))
    page.goto(f"/performance?q={query}&from=now-{CHART_POINTS}s&to=now&step=1s")
    page.wait_for_function(f"() => +document.querySelector('oe-query-panel [role=img]')?.dataset.points >= "
                           f"{CHART_SERIES * (CHART_POINTS - 5)}", timeout=60_000)
    page.evaluate("""() => {
      window.__frames = []; window.__long = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration)))
        .observe({ type: 'longtask', buffered: false });
      let last = performance.now();
      const tick = (t) => { window.__frames.push(t - last); last = t; window.__raf = requestAnimationFrame(tick); };
      window.__raf = requestAnimationFrame(tick);
    }""")
    before = int(page.locator("oe-query-panel [role=img]").first.get_attribute("data-last-ms") or 0)
    stop = threading.Event()

    def feed() -> None:  # new samples for all 50 series, 4 a second
        with httpx.Client(base_url=str(client.base_url), headers=dict(client.headers), timeout=10) as own:
            while not stop.is_set():
                now = int(time.time() * 1000)
                ingest(own, [{"name": CHART_METRIC, "labels": {"series": f"s{n:02d}"}, "samples": [[now, n + 1.5]]}
                             for n in range(CHART_SERIES)])
                stop.wait(0.25)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    time.sleep(seconds)
    stop.set()
    feeder.join(10)
    frames = page.evaluate("() => { cancelAnimationFrame(window.__raf); return window.__frames.slice(1); }")
    long_tasks = page.evaluate("() => window.__long")
    after = int(page.locator("oe-query-panel [role=img]").first.get_attribute("data-last-ms") or 0)
    return frames, long_tasks, after - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--ingest-samples", type=int, default=20)
    parser.add_argument("--frame-seconds", type=float, default=10.0)
    parser.add_argument("--parts", default="js,navigation,ingest,frames",
                        help="which parts to run, comma-separated (default: all four)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    built = subprocess.run(["bash", "scripts/frontend.sh", "build"], cwd=ROOT, capture_output=True, text=True)
    if built.returncode:
        sys.exit(f"scripts/frontend.sh build failed:\n{built.stdout[-3000:]}{built.stderr[-3000:]}")
    with tempfile.TemporaryDirectory() as tmp, EmbeddedStack(Path(tmp) / "var", BUILD, agent_interval_s=5.0) as stack:
        if "js" in parts:
            gz, raw, files = initial_javascript(stack.url)
            print(f"initial JavaScript: {gz / 1000:.1f} kB gzip ({raw / 1000:.1f} kB raw) in {len(files)} files; "
                  f"goal <= 250 kB: {'met' if gz <= 250_000 else 'MISSED'}", flush=True)
        with sync_playwright() as p, stack.client() as client:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"])
            # The agent's first CPU samples: the tiles have data to show.
            deadline = time.monotonic() + 60
            while not client.get("/api/v1/series", params={"match[]": CPU}).json()["data"]:
                assert time.monotonic() < deadline, "no CPU series from the agent in 60 s"
                time.sleep(0.5)

            viewport = {"width": 1366, "height": 900}
            signing = browser.new_context(base_url=stack.url, viewport=viewport)
            sign_in(signing.new_page(), stack.admin_password)
            state = signing.storage_state()
            signing.close()
            # The first visit: signed in (the session cookie) but nothing cached.
            context = browser.new_context(base_url=stack.url, viewport=viewport, storage_state=state)
            page = context.new_page()
            page.goto("/dashboard")
            first = tiles_time(page)
            if "navigation" in parts:
                warm = []
                for _ in range(args.warm_runs):
                    page.reload()
                    warm.append(tiles_time(page))
                print(f"navigation to tiles with data: first {first:.0f} ms, warm median {statistics.median(warm):.0f} ms "
                      f"({args.warm_runs} reloads, min {min(warm):.0f}, max {max(warm):.0f})", flush=True)

            if "ingest" in parts:
                waits = ingest_to_tile(page, client, args.ingest_samples)
                p95 = percentile(waits, 0.95)
                print(f"ingest to tile: p50 {statistics.median(waits) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                      f"max {max(waits) * 1000:.0f} ms ({len(waits)} samples); goal p95 <= 1 s: "
                      f"{'met' if p95 <= 1.0 else 'MISSED'}", flush=True)

            if "frames" in parts:
                load_chart_series(client, int(time.time() * 1000))
                frames, long_tasks, moved_ms = frame_times(page, client, args.frame_seconds)
                print(f"frame time, {CHART_SERIES} series x {CHART_POINTS} points updating live for {args.frame_seconds:.0f} s: "
                      f"p50 {statistics.median(frames):.1f} ms, p95 {percentile(frames, 0.95):.1f} ms, "
                      f"max {max(frames):.1f} ms ({len(frames)} frames); long tasks {len(long_tasks)}"
                      f"{f' (longest {max(long_tasks):.0f} ms)' if long_tasks else ''}; the chart's end moved {moved_ms / 1000:.1f} s",
                      flush=True)
            browser.close()


if __name__ == "__main__":
    main()
