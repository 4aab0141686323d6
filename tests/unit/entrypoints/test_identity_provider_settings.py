"""Identity providers in the settings: the JSON list (environment and file), what each
kind needs, secrets from files, and what the composition root builds from them."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from adapters.oidc import GitHubProvider, JwtIssuerVerifier, OidcProvider
from domain.identity import Role
from domain.identity.sign_in_policy import SignInPolicy
from entrypoints.container import build_container
from entrypoints.identity_provider_settings import IdentityProviderSettings, load_identity_providers
from entrypoints.settings import Settings

KEYCLOAK = {"id": "keycloak", "name": "Keycloak", "issuer": "https://sso.example.com/realms/ops",
            "client_id": "observer-eye", "groups_claim": "realm_access.roles",
            "role_from_groups": {"observer-admin": "admin", "oncall": "responder"}, "default_role": "viewer"}
GITHUB = {"id": "github", "kind": "github", "client_id": "Iv1.abc", "allowed_groups": ["acme"],
          "role_from_groups": {"acme/sre": "responder"}, "default_role": "viewer"}
SERVICES = {"id": "ci", "kind": "jwt", "issuer": "https://sso.example.com/realms/ops", "audience": "observer-eye-api",
            "groups_claim": "roles", "role_from_groups": {"observer-ingest": "admin"}, "tenant": "acme"}


def test_providers_come_from_the_environment_and_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "github-secret"
    secret.write_text("gh-secret\n")
    file = tmp_path / "providers.json"
    file.write_text(json.dumps([{**GITHUB, "client_secret_file": str(secret)}, SERVICES]))
    monkeypatch.setenv("OBSERVER_IDENTITY_PROVIDERS", json.dumps([{**KEYCLOAK, "client_secret": "kc-secret"}]))
    monkeypatch.setenv("OBSERVER_IDENTITY_PROVIDERS_FILE", str(file))
    settings = Settings(_env_file=None)

    entries = load_identity_providers(settings.identity_providers, settings.identity_providers_file)
    assert [e.id for e in entries] == ["keycloak", "github", "ci"]
    assert [e.secret() for e in entries] == ["kc-secret", "gh-secret", None]
    assert "kc-secret" not in repr(settings) and "kc-secret" not in json.dumps(settings.model_dump(mode="json"))


def test_the_container_builds_providers_verifiers_and_policies(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, tenant="default", identity_providers=[
        {**KEYCLOAK, "client_secret": "kc"}, {**GITHUB, "client_secret": "gh"}, SERVICES])
    container = build_container(settings)

    providers = container.identity_providers()
    assert list(providers) == ["keycloak", "github"]
    assert isinstance(providers["keycloak"], OidcProvider) and isinstance(providers["github"], GitHubProvider)
    assert [(p.id, p.name, p.kind) for p in providers.values()] == [("keycloak", "Keycloak", "oidc"), ("github", "github", "github")]
    assert providers["keycloak"].config.groups_claim == "realm_access.roles"
    (verifier,) = container.bearer_verifiers()
    assert isinstance(verifier, JwtIssuerVerifier) and verifier.config.id == "ci"

    policies = container.sign_in_policies()
    assert set(policies) == {"keycloak", "github", "ci"} and all(isinstance(p, SignInPolicy) for p in policies.values())
    assert [p.provider for p in policies.values()] == ["keycloak", "github", "ci"]
    assert policies["ci"].tenant == "acme" and policies["keycloak"].tenant == "default"
    assert policies["keycloak"].role_from_groups["oncall"] is Role.RESPONDER and policies["github"].default_role is Role.VIEWER
    assert policies["ci"].default_role is None and policies["ci"].create_users
    assert container.authenticator() is not None and container.sign_in() is not None


def test_an_entry_without_admission_rules_admits_nobody(tmp_path):
    """A public provider configured with a client and nothing else lets nobody in."""
    google = {"id": "google", "issuer": "https://accounts.google.com", "client_id": "x", "client_secret": "y",
              "role_from_groups": {"admins": "admin"}}
    strict = {**google, "id": "google-acme", "allowed_email_domains": ["acme.example"], "create_users": False}
    policies = build_container(Settings(_env_file=None, data_dir=tmp_path, identity_providers=[google, strict]))\
        .sign_in_policies()
    assert not policies["google"].admits_anyone and policies["google"].default_role is None
    assert policies["google-acme"].admits_anyone and not policies["google-acme"].create_users


def test_no_providers_configured_builds_nothing_and_accepts_no_jwt(tmp_path):
    container = build_container(Settings(_env_file=None, data_dir=tmp_path))
    assert container.identity_providers() == {} and container.sign_in_policies() == {}
    assert container.bearer_verifiers() == ()


@pytest.mark.parametrize("entry, message", [
    ({"id": "kc", "client_id": "x"}, "needs issuer"),
    ({"id": "kc", "issuer": "https://idp"}, "needs client_id"),
    ({"id": "gh", "kind": "github", "client_id": "x"}, "needs client_secret_file"),
    ({"id": "ci", "kind": "jwt", "issuer": "https://idp"}, "needs audience"),
    ({"id": "kc", "issuer": "https://idp", "client_id": "x", "client_secret": "a", "client_secret_file": "/f"}, "not both"),
    ({"id": "Key Cloak", "issuer": "https://idp", "client_id": "x"}, "pattern"),
    ({"id": "kc", "issuer": "https://idp", "client_id": "x", "clock_skew_s": 3600}, "less than or equal to 300"),
    ({"id": "kc", "issuer": "https://idp", "client_id": "x", "default_role": "root"}, "default_role"),
    ({"id": "kc", "issuer": "https://idp", "client_id": "x", "secret": "typo"}, "Extra inputs"),
])
def test_an_incomplete_or_wrong_entry_is_refused_saying_what(entry, message):
    with pytest.raises(ValidationError, match=message):
        IdentityProviderSettings(**entry)


def test_duplicate_ids_issuers_and_unreadable_files_are_refused(tmp_path):
    entry = IdentityProviderSettings(**{**KEYCLOAK, "client_secret": "x"})
    with pytest.raises(ValueError, match="configured twice"):
        load_identity_providers([entry, entry], None)
    services = IdentityProviderSettings(**SERVICES)
    with pytest.raises(ValueError, match="JWT issuers 'ci' and 'ci2' both name https://sso.example.com/realms/ops"):
        load_identity_providers([services, IdentityProviderSettings(**{**SERVICES, "id": "ci2"})], None)
    assert load_identity_providers([entry, services], None) == [entry, services]  # sign-in and JWTs, one issuer
    with pytest.raises(ValueError, match="OBSERVER_IDENTITY_PROVIDERS_FILE"):
        load_identity_providers([], tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "kc"}]))
    with pytest.raises(ValueError, match="needs issuer"):
        load_identity_providers([], bad)
    empty = tmp_path / "empty-secret"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        IdentityProviderSettings(**{**KEYCLOAK, "client_secret_file": str(empty)}).secret()


def test_a_bad_policy_or_client_setting_fails_when_the_container_builds_it(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, identity_providers=[
        {**KEYCLOAK, "tenant": "Not A Tenant"}])
    with pytest.raises(Exception, match="invalid tenant id"):
        build_container(settings).sign_in_policies()
    settings = Settings(_env_file=None, data_dir=tmp_path, identity_providers=[{**KEYCLOAK, "scopes": ["email"]}])
    with pytest.raises(ValueError, match="must include 'openid'"):
        build_container(settings).identity_providers()


def test_a_refused_entry_does_not_echo_its_secret(monkeypatch):
    monkeypatch.setenv("OBSERVER_IDENTITY_PROVIDERS", json.dumps([{"id": "kc", "issuer": "https://idp",
                                                                   "client_secret": "TOPSECRET"}]))
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None)
    assert "needs client_id" in str(err.value) and "TOPSECRET" not in str(err.value)
