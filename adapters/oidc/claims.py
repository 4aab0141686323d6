"""From verified claims to an ``ExternalIdentity``: email, name, groups, ``amr``.

Groups come from a configurable claim: ``groups`` (Keycloak with a group mapper, Okta,
GitLab's userinfo), ``roles`` (Entra ID app roles), or a dotted path into nested objects
(``realm_access.roles``, Keycloak's realm roles). A claim whose own name contains dots
(``https://example.com/groups``, Auth0's namespaced claims) is found by its full name
first. A single string counts as one group.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from domain.identity.external import ExternalIdentity

log = logging.getLogger(__name__)


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The claim named ``path``, else the value at the dotted ``path``; None if absent."""
    if path in claims:
        return claims[path]
    node: Any = claims
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def string_list(value: Any) -> tuple[str, ...]:
    """A claim holding a string or a list of strings (and numbers), as a tuple of strings."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, (str, int)) and not isinstance(v, bool) and str(v))
    return ()


def is_true(value: Any) -> bool:
    """``true``, or the string ``"true"`` some providers (AWS Cognito) send instead."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def identity_from_claims(provider: str, claims: Mapping[str, Any], *, groups_claim: str) -> ExternalIdentity:
    """The identity the (already verified) ``claims`` assert; ``iss`` and ``sub`` must be present."""
    names = claims.get("_claim_names")
    if isinstance(names, Mapping) and groups_claim in names:
        # Entra ID's "groups overage": over ~200 groups the token points at Graph instead.
        log.warning("provider %s sent no %r claim but a reference to it (too many groups); "
                    "use app roles (groups_claim 'roles') instead", provider, groups_claim)
    email = claims.get("email")
    return ExternalIdentity(
        provider=provider,
        issuer=str(claims.get("iss") or ""),
        subject=str(claims.get("sub") or ""),
        email=email if isinstance(email, str) and email else None,
        email_verified=is_true(claims.get("email_verified")),
        name=_text(claims.get("name")) or _text(" ".join(
            p for p in (_text(claims.get("given_name")), _text(claims.get("family_name"))) if p)),
        username=_text(claims.get("preferred_username")) or _text(claims.get("nickname")),
        groups=string_list(claim_at(claims, groups_claim)),
        amr=string_list(claims.get("amr")),
        claims=dict(claims),
    )


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None
