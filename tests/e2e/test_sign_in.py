"""Signing in with the local admin (the password the first start wrote to the data
directory) and signing out again; a wrong password shows the API's problem."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Person, Stack
from tests.e2e.journeys import sign_in


def test_the_local_admin_signs_in_and_out(page: Page, stack: Stack) -> None:
    page.goto("/incidents")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fincidents$"))  # no session: to sign-in, keeping where
    sign_in(page, stack.admin, "/incidents")
    expect(page.get_by_role("heading", name="Incidents", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("admin", re.I)).first).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/dashboard")  # the session is gone on the server too
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_wrong_password_shows_the_apis_problem(page: Page, stack: Stack) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(re.compile("invalid|wrong|incorrect", re.I))
    expect(page).to_have_url(re.compile(r"/login"))


def test_sign_in_still_works_when_the_providers_list_fails(page: Page, stack: Stack) -> None:
    page.route("**/api/v1/auth/providers", lambda route: route.fulfill(
        status=503, content_type="application/problem+json",
        body='{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"providers are down"}'))
    sign_in(page, stack.admin)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
