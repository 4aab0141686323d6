"""Sign-in with GitHub (or GitHub Enterprise Server): GitHub's OAuth web flow.

GitHub is not an OpenID provider: there is no ID token, so the person is whoever the
access token reads back from the API. ``start`` sends the browser to
``{web_url}/login/oauth/authorize`` with ``state`` and a PKCE S256 challenge (GitHub
checks it; servers that predate PKCE ignore it); ``finish`` exchanges the code at
``{web_url}/login/oauth/access_token``, then reads ``GET /user`` (the numeric id is the
subject: logins can be renamed), ``GET /user/emails`` (only the *verified primary*
address counts) and, for groups, ``GET /user/orgs`` (``org``) and ``GET /user/teams``
(``org/team-slug``). Base URLs are configurable: ``web_url=https://ghe.example.com``,
``api_url=https://ghe.example.com/api/v3``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri

from adapters.oidc.http import ProviderHttp, check_url
from adapters.oidc.flow import check_callback, error_code, new_flow_secrets, require_flow
from domain.errors import AuthenticationFailed
from domain.identity.external import ExternalIdentity
from ports.identity_providers import LoginStart

PAGE_SIZE = 100
MAX_PAGES = 10  # 1,000 organisations or teams are plenty to map roles from
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


@dataclass(frozen=True, slots=True)
class GitHubConfig:
    id: str
    name: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ("read:user", "user:email", "read:org")
    web_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    teams: bool = True  # also read team memberships (org/team groups)
    authorize_params: Mapping[str, str] = field(default_factory=dict)  # e.g. allow_signup=false
    timeout_s: float = 10.0
    ca_file: Path | None = None
    allow_http: bool = False

    def __post_init__(self) -> None:
        for name in ("web_url", "api_url"):
            check_url(getattr(self, name), what=f"GitHub provider {self.id}: {name}", allow_http=self.allow_http)


class GitHubProvider:
    """``ports.identity_providers.IdentityProvider`` for GitHub's OAuth apps."""

    kind = "github"

    def __init__(self, config: GitHubConfig, *, http: ProviderHttp | None = None) -> None:
        self.config = config
        self.id = config.id
        self.name = config.name
        self._web = config.web_url.rstrip("/")
        self._api = config.api_url.rstrip("/")
        self._http = http or ProviderHttp(timeout_s=config.timeout_s, ca_file=config.ca_file)

    async def start(self, redirect_uri: str) -> LoginStart:
        fresh = new_flow_secrets()
        url = prepare_grant_uri(
            f"{self._web}/login/oauth/authorize", self.config.client_id, "code", redirect_uri,
            scope=" ".join(self.config.scopes), state=fresh.state,
            code_challenge=fresh.code_challenge, code_challenge_method="S256", **self.config.authorize_params,
        )
        return LoginStart(redirect_url=url, state=fresh.state,
                          flow={"state": fresh.state, "code_verifier": fresh.code_verifier, "redirect_uri": redirect_uri})

    async def finish(self, flow: Mapping[str, Any], callback: Mapping[str, str]) -> ExternalIdentity:
        require_flow(flow, ("state", "code_verifier", "redirect_uri"))
        check_callback(self.name, flow, callback, issuer=None)
        token = await self._exchange(callback["code"], flow)
        user = await self._api_json("/user", token, "your GitHub account")
        if not isinstance(user, dict) or not isinstance(user.get("id"), int) or not isinstance(user.get("login"), str):
            raise AuthenticationFailed(f"{self.name} answered /user without an account id and login")
        emails = await self._api_json("/user/emails", token, "your email addresses (scope user:email)")
        primary = next((e for e in emails if isinstance(e, dict) and e.get("primary") and e.get("verified")), None) \
            if isinstance(emails, list) else None
        groups = [o["login"] for o in await self._pages("/user/orgs", token, "your organisations (scope read:org)")
                  if isinstance(o, dict) and isinstance(o.get("login"), str)]
        if self.config.teams:
            groups += [f"{t['organization']['login']}/{t['slug']}"
                       for t in await self._pages("/user/teams", token, "your teams (scope read:org)")
                       if isinstance(t, dict) and isinstance(t.get("slug"), str)
                       and isinstance(t.get("organization"), dict) and isinstance(t["organization"].get("login"), str)]
        name = user.get("name")
        return ExternalIdentity(
            provider=self.id, issuer=self._web, subject=str(user["id"]),
            email=primary["email"] if primary and isinstance(primary.get("email"), str) else None,
            email_verified=primary is not None,
            name=name if isinstance(name, str) and name.strip() else user["login"],
            username=user["login"], groups=tuple(dict.fromkeys(groups)),
            claims={k: user.get(k) for k in ("id", "login", "name", "html_url", "type", "site_admin") if k in user},
        )

    async def _exchange(self, code: str, flow: Mapping[str, Any]) -> str:
        what = f"the token endpoint of {self.name}"
        body = {"client_id": self.config.client_id, "client_secret": self.config.client_secret, "code": code,
                "redirect_uri": flow["redirect_uri"], "code_verifier": flow["code_verifier"]}
        response = await self._http.request(
            "POST", f"{self._web}/login/oauth/access_token", what=what, content=urlencode(body),
            headers={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"})
        token = response.json(what)
        # GitHub answers a refused code with 200 and an "error" member.
        if response.status != 200 or not isinstance(token, dict) or "error" in token:
            refused = token.get("error") if isinstance(token, dict) else None
            raise AuthenticationFailed(f"{self.name} refused the sign-in code ({error_code(refused)})")
        access_token = token.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise AuthenticationFailed(f"{what} issued no access token")
        return access_token

    async def _api_json(self, path: str, token: str, what: str) -> Any:
        response = await self._http.get(f"{self._api}{path}", what=f"{self.name}'s API ({path})",
                                        headers={**API_HEADERS, "Authorization": f"Bearer {token}"})
        if response.status != 200:
            raise AuthenticationFailed(f"{self.name} did not let us read {what}: HTTP {response.status}")
        return response.json(f"{self.name}'s API ({path})")

    async def _pages(self, path: str, token: str, what: str) -> list[Any]:
        items: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            batch = await self._api_json(f"{path}?per_page={PAGE_SIZE}&page={page}", token, what)
            if not isinstance(batch, list):
                raise AuthenticationFailed(f"{self.name} answered {path} with something other than a list")
            items += batch
            if len(batch) < PAGE_SIZE:
                break
        return items
