"""The e2e tier: Debian's Chromium, driven by Playwright, against the real API serving
the dashboard's production build (docs/adr/0020-dashboard-e2e.md).

One stack for the tier (package-scoped fixtures: it stops when the tier is done, before
the other tiers of ``make test`` run): ``observer-eye run`` (what ``make run`` starts: Django on SQLite,
the SQLite sample store, Temporal's dev server with the worker in process, the local host
agent) as a child process on free ports, with a data directory of its own
(tests/support/embedded_stack.py). Nothing here skips: without Chromium or the build the tier
fails and says how to get them (``scripts/services.sh: ensure_chromium``,
``scripts/frontend.sh build``)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.support.embedded_stack import ROOT, EmbeddedStack

CHROMIUM = Path("/usr/bin/chromium")
BUILD = ROOT / "frontend" / "dist" / "observer-eye" / "browser"
SCREENSHOTS = ROOT / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@dataclass
class Person:
    username: str
    password: str
    role: str


@dataclass
class Stack:
    run: EmbeddedStack
    admin: Person
    people: dict[str, Person]

    @property
    def url(self) -> str:
        return self.run.url

    def client(self) -> httpx.Client:
        """The operator's admin key (api-key in the stack's data directory)."""
        return self.run.client()


@pytest.fixture(scope="package")
def dashboard_build() -> Path:
    """The production build, built (or found up to date) by the project's own script."""
    done = subprocess.run(["bash", "scripts/frontend.sh", "build"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"scripts/frontend.sh build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert (BUILD / "index.html").is_file(), f"no dashboard build in {BUILD}"
    return BUILD


def invite(client: httpx.Client, username: str, role: str) -> Person:
    """A user the admin invites, who sets a password with the one-time token."""
    made = client.post("/api/v1/users", json={"username": username, "email": f"{username}@example.com",
                                               "name": username.capitalize(), "role": role})
    assert made.status_code == 201, made.text
    token = made.json()["data"]["invitation"]["token"]
    password = f"{username}-correct-horse-battery"
    with httpx.Client(base_url=str(client.base_url), timeout=10) as anonymous:
        done = anonymous.post("/api/v1/auth/set-password", json={"token": token, "password": password})
    assert done.status_code in (200, 204), done.text
    return Person(username, password, role)


@pytest.fixture(scope="package")
def stack(dashboard_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("e2e") / "var"
    # outgoing_allow: the webhook receiver the routing journey sends to listens on loopback.
    with EmbeddedStack(data_dir, dashboard_build, agent_interval_s=1.0, evaluator_rules_refresh_s=0.5,
                       outgoing_allow='["127.0.0.1/32"]') as run:
        admin = Person("admin", run.admin_password, "admin")
        with run.client() as client:
            people = {p.username: p for p in (invite(client, "rita", "responder"), invite(client, "sam", "responder"),
                                              invite(client, "vera", "viewer"))}
        yield Stack(run, admin, people)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    assert CHROMIUM.exists(), (f"{CHROMIUM} is missing: the e2e tier drives Debian's Chromium "
                               "(`source scripts/services.sh && ensure_chromium`)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # --no-sandbox: the tier runs as root in CI, where Chromium's sandbox refuses to start.
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=["--no-sandbox", "--disable-dev-shm-usage"])
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=stack.url, viewport=DESKTOP, timezone_id="UTC")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
