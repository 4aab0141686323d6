"""A responder's night, through the dashboard: an admin's rule fires on ingested samples;
the alert and then the incident appear on an open page without a reload; the responder
acknowledges it, starts a runbook whose gate a second responder approves (the first may
not: the API's 403 is shown), silences the alert, mitigates and resolves the incident and publishes
the postmortem, which closes it."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESKTOP, Stack
from tests.e2e.journeys import eventually, sign_in

RULE = "CheckoutQueueDeep"
SELECTOR = 'e2e_queue_depth{service="checkout"}'
RUNBOOK = {"id": "drain-checkout", "name": "Drain checkout", "steps": [
    {"id": "drain", "kind": "wait", "params": {"duration_ms": 500},
     "approval": {"timeout_ms": 600_000, "roles": ["responder", "admin"]}}]}


def new_page(browser: Browser, stack: Stack) -> Page:
    context = browser.new_context(base_url=stack.url, viewport=DESKTOP, timezone_id="UTC")
    context.set_default_timeout(20_000)
    return context.new_page()


def create_rule_as_admin(page: Page, stack: Stack) -> None:
    sign_in(page, stack.admin, "/alerts/rules")
    page.get_by_role("button", name="New rule").click()
    form = page.get_by_role("form", name="Rule editor")
    form.get_by_label("Name", exact=True).fill(RULE)
    form.get_by_label("Selector", exact=True).fill(SELECTOR)
    form.get_by_label("Function").select_option("max")
    form.get_by_label("Window", exact=True).fill("30s")
    form.get_by_label("For", exact=True).fill("0s")
    form.get_by_role("button", name="Dry run (last 24 h)").click()  # no threshold yet: the API names the field
    expect(form.get_by_role("alert")).to_contain_text("threshold")
    form.get_by_label("Threshold", exact=True).fill("100")
    form.get_by_role("button", name="Dry run (last 24 h)").click()  # nothing ingested under this metric yet
    expect(form.get_by_test_id("dry-run-result")).to_contain_text("Would not have fired")
    form.get_by_label(re.compile("^Labels")).fill("severity=critical")
    form.get_by_label(re.compile("^Annotations")).fill("summary=checkout queue at {{ $value }}")
    form.get_by_role("button", name="Create rule").click()
    expect(page.get_by_role("cell", name=RULE)).to_be_visible()


def dry_run_the_rule(page: Page) -> None:
    """The rule the admin made, copied back into the editor: over the stored samples of the
    last 24 h (the one ingested above), it would have fired, once, on the one series."""
    page.get_by_role("row").filter(has_text=RULE).get_by_role("button", name="Copy to editor").click()
    form = page.get_by_role("form", name="Rule editor")
    form.get_by_role("button", name="Dry run (last 24 h)").click()
    result = form.get_by_test_id("dry-run-result")
    expect(result.get_by_role("status")).to_contain_text("Would have fired")
    expect(result.locator(".intervals li")).to_have_count(1)
    expect(result.locator(".intervals li")).to_contain_text('service="checkout"')
    expect(result.locator(".strip .seg")).to_have_count(1)


def test_a_responders_night(browser: Browser, stack: Stack) -> None:
    with stack.client() as api:
        made = api.post("/api/v1/runbooks", json=RUNBOOK)
        assert made.status_code == 201, made.text
    admin, rita, sam = new_page(browser, stack), new_page(browser, stack), new_page(browser, stack)

    create_rule_as_admin(admin, stack)
    sign_in(rita, stack.people["rita"], "/alerts")  # open before anything fires: it must update live
    sign_in(sam, stack.people["sam"], "/incidents")
    with stack.client() as api:  # the evaluator picks the new rule up within its refresh
        eventually(lambda: [r["name"] for r in api.get("/api/v1/rules").json()["data"]], lambda n: RULE in n, "the rule")
        time.sleep(1.0)  # evaluator_rules_refresh_s is 0.5 s in this stack
        now = int(time.time() * 1000)
        sent = api.post("/api/v1/ingest", json={"series": [{"name": "e2e_queue_depth",
                                                           "labels": {"service": "checkout", "host": "web-1"},
                                                           "samples": [[now, 500.0]]}]})
        assert sent.status_code == 202, sent.text

    # The alert, then the incident, appear on the open pages without a reload.
    expect(rita.get_by_text(RULE).first).to_be_visible(timeout=30_000)
    incident_link = sam.get_by_role("link", name=re.compile("checkout queue at 500"))
    expect(incident_link).to_be_visible(timeout=30_000)
    dry_run_the_rule(admin)
    rita.goto("/incidents")
    rita.get_by_role("link", name=re.compile("checkout queue at 500")).click()
    expect(rita.get_by_role("heading", level=1)).to_contain_text("checkout queue at 500")
    incident_url = rita.url
    expect(rita.get_by_label("Severity")).to_have_value("SEV1")  # severity=critical; the select shows it

    rita.get_by_role("button", name="Acknowledge").click()
    expect(rita.get_by_role("region", name="Actions")).to_contain_text("Mitigate")
    expect(rita.locator(".head")).to_contain_text("acknowledged")

    # A runbook from the catalogue; its gate needs someone other than the one who started it.
    rita.get_by_role("button", name="Run a runbook…").click()
    rita.get_by_label("Runbook").select_option("drain-checkout")
    rita.get_by_role("button", name="Run", exact=True).click()
    expect(rita.get_by_text("waits for approval")).to_be_visible(timeout=30_000)
    rita.get_by_role("button", name="Approve drain").click()
    expect(rita.get_by_role("alert").filter(has_text="403")).to_be_visible()

    sam.goto(incident_url)
    sam.get_by_role("button", name="Approve drain").click()
    expect(sam.get_by_text("waits for approval")).to_have_count(0, timeout=30_000)
    expect(sam.locator("oe-remediation-panel")).to_contain_text(re.compile("completed|succeeded|done", re.I), timeout=30_000)

    # Silence the alert from its page (matchers prefilled from its labels).
    rita.get_by_role("link", name=re.compile(r"^[0-9a-f]{6,}")).first.click()
    expect(rita.get_by_role("heading", level=1)).to_contain_text(RULE)
    rita.get_by_role("button", name="Silence…").click()
    rita.get_by_label("Comment").fill("draining checkout; looked at by rita")
    rita.get_by_role("button", name="Create silence").click()
    expect(rita.get_by_role("status").filter(has_text="Silence")).to_contain_text("created")

    # Resolve; the postmortem opens; publishing it closes the incident.
    rita.goto(incident_url)
    rita.get_by_role("button", name="Mitigate").click()
    expect(rita.locator(".head")).to_contain_text("mitigated")
    rita.get_by_role("button", name="Resolve").click()
    expect(rita.locator(".head")).to_contain_text("resolved", timeout=30_000)
    draft = rita.get_by_label("Draft (Markdown)")
    expect(draft).to_be_visible(timeout=30_000)
    draft.fill("## What happened\nThe checkout queue grew past 100.\n\n## What we do next\nAutoscale the workers.")
    rita.get_by_role("button", name="Publish").click()
    expect(rita.get_by_role("status").filter(has_text="Published")).to_be_visible()
    expect(rita.locator(".head")).to_contain_text("closed", timeout=30_000)
    with stack.client() as api:
        incident_id = incident_url.rsplit("/", 1)[1]
        closed = api.get(f"/api/v1/incidents/{incident_id}").json()["data"]
        assert closed["status"] == "closed"
        assert closed["acknowledged_at_ms"] is not None
