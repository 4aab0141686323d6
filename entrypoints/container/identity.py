"""Identity: password hashing, TOTP, sessions' options and the external identity
providers (docs/adr/0009-identity-and-sessions.md, docs/adr/0010-oidc.md)."""

from __future__ import annotations

from adapters.http.deps import WebOptions
from domain.identity.sign_in_policy import SignInPolicy
from domain.identity.throttle import LoginThrottle
from entrypoints.identity_provider_settings import IdentityProviderSettings, load_identity_providers
from entrypoints.settings import Settings
from ports.cache import PubSub
from ports.identity_providers import BearerTokenVerifier, IdentityProvider
from services.config_changes import ConfigWatcher
from services.identity import IdentityOptions
from services.identity.verified_keys import KIND as CREDENTIALS, VerifiedKeys


def identity_provider_entries(s: Settings) -> list[IdentityProviderSettings]:
    return load_identity_providers(s.identity_providers, s.identity_providers_file)


def identity_providers(entries: list[IdentityProviderSettings], clock) -> dict[str, IdentityProvider]:
    """The providers people sign in with, by id (adapters/oidc, imported only when configured)."""
    built: dict[str, IdentityProvider] = {}
    for entry in entries:
        if entry.kind == "oidc":
            from adapters.oidc import OidcProvider

            built[entry.id] = OidcProvider(entry.oidc_config(), clock)
        elif entry.kind == "github":
            from adapters.oidc import GitHubProvider

            built[entry.id] = GitHubProvider(entry.github_config())
    return built


def bearer_verifiers(entries: list[IdentityProviderSettings], clock) -> tuple[BearerTokenVerifier, ...]:
    """A verifier per JWT issuer (entries of kind jwt) whose access tokens services send."""
    if not any(e.kind == "jwt" for e in entries):
        return ()
    from adapters.oidc import JwtIssuerVerifier

    return tuple(JwtIssuerVerifier(e.jwt_config(), clock) for e in entries if e.kind == "jwt")


def sign_in_policies(entries: list[IdentityProviderSettings], default_tenant: str) -> dict[str, SignInPolicy]:
    """Each entry's sign-in policy, by entry id (= ``ExternalIdentity.provider``)."""
    return {entry.id: entry.policy(default_tenant) for entry in entries}


def django_hasher(runner):
    """Django's password hashers; ``runner`` set Django up already."""
    from adapters.django_orm.identity.passwords import DjangoPasswordHasher

    return DjangoPasswordHasher()


def totp(s: Settings):
    from adapters.totp import TotpAuthenticator, load_or_create_key

    return TotpAuthenticator(load_or_create_key(s.identity_key_file or s.data_dir / "identity-key"))


def identity_options(s: Settings) -> IdentityOptions:
    lockout_ms = s.login_lockout_s * 1000
    return IdentityOptions(
        default_tenant=s.tenant, session_idle_ms=s.session_idle_s * 1000, session_lifetime_ms=s.session_lifetime_s * 1000,
        throttle=LoginThrottle(max_failures=s.login_max_failures, window_ms=lockout_ms, lockout_ms=lockout_ms,
                               max_lockout_ms=max(lockout_ms, 24 * 3_600_000)),
    )


def web_options(s: Settings) -> WebOptions:
    return WebOptions(cookie_secure=s.cookie_secure, public_url=s.public_url, docs_public=s.docs_public,
                      session_lifetime_s=s.session_lifetime_s)


def verified_keys(s: Settings, pubsub: PubSub) -> VerifiedKeys:
    return VerifiedKeys(ttl_ms=int(s.api_key_cache_s * 1000), pubsub=pubsub)


def watch_credentials(watcher: ConfigWatcher, verified: VerifiedKeys) -> ConfigWatcher:
    """``watcher``, with the remembered API keys of a tenant forgotten when another
    process changed its credentials."""
    watcher.on(CREDENTIALS, verified.forget)
    return watcher
