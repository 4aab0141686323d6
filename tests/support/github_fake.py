"""A stand-in for GitHub's OAuth web flow and the three REST endpoints sign-in reads, in the
shape GitHub Enterprise Server serves them (web at ``/``, REST at ``/api/v3``).

It checks what GitHub checks: the client secret, the redirect URI, a code used once,
and the PKCE S256 verifier against the challenge; and answers a refused code with
HTTP 200 and an ``error`` member, as GitHub does. ``/user/orgs`` and ``/user/teams``
page by ``per_page``/``page``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import flask


@dataclass
class GitHubAccount:
    id: int
    login: str
    name: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    teams: list[tuple[str, str]] = field(default_factory=list)  # (org, team slug)


class FakeGitHub:
    def __init__(self, client_id: str, client_secret: str, account: GitHubAccount) -> None:
        self.client_id, self.client_secret, self.account = client_id, client_secret, account
        self.requests: Counter[str] = Counter()
        self._codes: dict[str, dict[str, str]] = {}
        self._tokens: set[str] = set()
        self.app = flask.Flask(__name__)
        self.app.add_url_rule("/login/oauth/authorize", view_func=self.authorize)
        self.app.add_url_rule("/login/oauth/access_token", view_func=self.access_token, methods=["POST"])
        for path, view in (("/user", self.user), ("/user/emails", self.emails), ("/user/orgs", self.orgs),
                           ("/user/teams", self.teams)):
            self.app.add_url_rule(f"/api/v3{path}", endpoint=path, view_func=view)
        self.app.after_request(self._count)

    def _count(self, response: flask.Response) -> flask.Response:
        self.requests[flask.request.path] += 1
        return response

    def authorize(self) -> flask.Response:
        """The person approves at once: straight back to the client with a code."""
        args = flask.request.args
        if args.get("client_id") != self.client_id or args.get("code_challenge_method") != "S256":
            return flask.Response("bad authorization request", status=400)
        code = secrets.token_hex(10)
        self._codes[code] = {"redirect_uri": args["redirect_uri"], "challenge": args["code_challenge"]}
        return flask.redirect(f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args['state']})}")

    def access_token(self) -> flask.Response:
        form = flask.request.form
        grant = self._codes.pop(form.get("code", ""), None)
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return flask.jsonify(error="incorrect_client_credentials")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri") or grant["challenge"] != challenge:
            return flask.jsonify(error="bad_verification_code", error_description="The code passed is incorrect or expired.")
        token = f"gho_{secrets.token_hex(16)}"
        self._tokens.add(token)
        return flask.jsonify(access_token=token, token_type="bearer", scope="read:org,read:user,user:email")

    def _authorized(self) -> bool:
        return flask.request.headers.get("Authorization", "").removeprefix("Bearer ") in self._tokens

    def user(self):
        if not self._authorized():
            return flask.jsonify(message="Bad credentials"), 401
        a = self.account
        return flask.jsonify(id=a.id, login=a.login, name=a.name, type="User", site_admin=False,
                             html_url=f"https://github.example/{a.login}")

    def emails(self):
        if not self._authorized():
            return flask.jsonify(message="Bad credentials"), 401
        return flask.jsonify(self.account.emails)

    def orgs(self):
        if not self._authorized():
            return flask.jsonify(message="Bad credentials"), 401
        return flask.jsonify(self._page([{"login": o, "id": i} for i, o in enumerate(self.account.orgs)]))

    def teams(self):
        if not self._authorized():
            return flask.jsonify(message="Bad credentials"), 401
        return flask.jsonify(self._page([{"slug": slug, "name": slug.title(), "organization": {"login": org}}
                                         for org, slug in self.account.teams]))

    @staticmethod
    def _page(items: list[Any]) -> list[Any]:
        per_page, page = int(flask.request.args.get("per_page", 30)), int(flask.request.args.get("page", 1))
        return items[(page - 1) * per_page: page * per_page]
