"""GitHub sign-in (OAuth web flow, then /user, /user/emails, /user/orgs, /user/teams)
against a local stand-in for GitHub Enterprise's web and REST endpoints."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from adapters.oidc import GitHubConfig, GitHubProvider
from domain.errors import AuthenticationFailed
from tests.support.github_fake import FakeGitHub, GitHubAccount
from tests.support.wsgi import serve_wsgi

pytestmark = pytest.mark.integration

REDIRECT = "http://127.0.0.1:8400/api/v1/auth/oidc/github/callback"


def octocat(**overrides) -> GitHubAccount:
    fields = {
        "id": 583231, "login": "octocat", "name": "The Octocat",
        "emails": [{"email": "octo@users.noreply.github.com", "primary": False, "verified": True},
                   {"email": "octocat@example.com", "primary": True, "verified": True}],
        "orgs": ["acme", "oss"], "teams": [("acme", "sre"), ("acme", "platform")],
    }
    return GitHubAccount(**{**fields, **overrides})


@pytest.fixture
def github(request):
    fake = FakeGitHub("Iv1.client", "gh-secret", getattr(request, "param", None) or octocat())
    with serve_wsgi(fake.app) as url:
        fake.url = url
        yield fake


def provider(fake: FakeGitHub, **overrides) -> GitHubProvider:
    config = {"id": "github", "name": "GitHub", "client_id": "Iv1.client", "client_secret": "gh-secret",
              "web_url": fake.url, "api_url": f"{fake.url}/api/v3", **overrides}
    return GitHubProvider(GitHubConfig(**config))


async def sign_in(github: FakeGitHub, gh: GitHubProvider):
    start = await gh.start(REDIRECT)
    with httpx.Client() as browser:
        answer = browser.get(start.redirect_url)
    assert answer.status_code == 302, answer.text
    return start, dict(parse_qsl(urlsplit(answer.headers["location"]).query))


async def test_sign_in_reads_the_account_its_verified_primary_email_orgs_and_teams(github):
    gh = provider(github)
    start, callback = await sign_in(github, gh)
    who = await gh.finish(start.flow, callback)
    assert (who.provider, who.issuer, who.subject) == ("github", github.url, "583231")
    assert (who.username, who.name) == ("octocat", "The Octocat")
    assert (who.email, who.email_verified) == ("octocat@example.com", True)
    assert who.groups == ("acme", "oss", "acme/sre", "acme/platform")
    assert who.claims["login"] == "octocat" and who.amr == ()
    sent = dict(parse_qsl(urlsplit(start.redirect_url).query))
    assert sent["scope"] == "read:user user:email read:org" and sent["state"] == start.state


@pytest.mark.parametrize("github", [octocat(name=None, emails=[
    {"email": "octocat@example.com", "primary": True, "verified": False},
    {"email": "other@example.com", "primary": False, "verified": True}])], indirect=True)
async def test_without_a_verified_primary_email_there_is_no_email(github):
    gh = provider(github)
    start, callback = await sign_in(github, gh)
    who = await gh.finish(start.flow, callback)
    assert (who.email, who.email_verified, who.name) == (None, False, "octocat")


@pytest.mark.parametrize("github", [octocat(orgs=[f"org-{i}" for i in range(150)], teams=[])], indirect=True)
async def test_organisations_are_read_page_by_page(github):
    gh = provider(github, teams=False)
    start, callback = await sign_in(github, gh)
    who = await gh.finish(start.flow, callback)
    assert len(who.groups) == 150 and who.groups[-1] == "org-149"
    assert github.requests["/api/v3/user/orgs"] == 2 and github.requests["/api/v3/user/teams"] == 0


async def test_a_code_is_exchanged_once_and_only_with_its_verifier(github):
    gh = provider(github)
    start, callback = await sign_in(github, gh)
    with pytest.raises(AuthenticationFailed, match=r"refused the sign-in code \(bad_verification_code\)"):
        await gh.finish({**start.flow, "code_verifier": "x" * 64}, callback)  # the fake spent the code
    start, callback = await sign_in(github, gh)
    await gh.finish(start.flow, callback)
    with pytest.raises(AuthenticationFailed, match="bad_verification_code"):
        await gh.finish(start.flow, callback)


async def test_a_wrong_client_secret_or_state_is_refused(github):
    gh = provider(github, client_secret="wrong")
    start, callback = await sign_in(github, gh)
    with pytest.raises(AuthenticationFailed, match="incorrect_client_credentials"):
        await gh.finish(start.flow, callback)
    with pytest.raises(AuthenticationFailed, match="state"):
        await gh.finish({**start.flow, "state": "another"}, callback)


def test_base_urls_must_be_https_beyond_loopback():
    with pytest.raises(ValueError, match="https"):
        GitHubConfig(id="ghe", name="GHE", client_id="c", client_secret="s", web_url="http://ghe.example.com")
    assert GitHubConfig(id="ghe", name="GHE", client_id="c", client_secret="s", web_url="http://ghe.internal",
                        api_url="http://ghe.internal/api/v3", allow_http=True).web_url == "http://ghe.internal"
