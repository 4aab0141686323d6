"""Tenants, their users, teams, API keys, sessions, one-time tokens, login throttling and
the audit log. (Operators signing in to this admin are Django's own ``auth`` users; the
users here are the people of a tenant, signing in to the API.)"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from adapters.django_orm.common import TENANT_MAX_LENGTH, tenant_field

ROLES = [(r, r) for r in ("viewer", "responder", "admin")]


class Tenant(models.Model):
    id = models.CharField(primary_key=True, max_length=TENANT_MAX_LENGTH, help_text="the tenant id (a DNS label)")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, default="active", choices=[("active", "active"), ("deactivated", "deactivated")])
    created_at_ms = models.BigIntegerField(default=0)
    deactivated_at_ms = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class User(models.Model):
    tenant = tenant_field()
    user_id = models.CharField(max_length=128)
    username = models.CharField(max_length=64)
    email = models.CharField(max_length=254)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=16, choices=ROLES)
    status = models.CharField(max_length=16, default="active",
                              choices=[(s, s) for s in ("invited", "active", "deactivated")])
    timezone = models.CharField(max_length=64, default="UTC")
    contacts = models.JSONField(default=list, blank=True)
    password_hash = models.CharField(max_length=256, null=True, blank=True)
    totp_secret = models.TextField(null=True, blank=True, help_text="sealed (AES-GCM), never the secret itself")
    totp_confirmed = models.BooleanField(default=False)
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    platform_admin = models.BooleanField(default=False)
    created_at_ms = models.BigIntegerField(default=0)
    last_sign_in_ms = models.BigIntegerField(null=True, blank=True)
    last_sign_in_mfa = models.BooleanField(default=False)
    invite_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    invite_expires_at_ms = models.BigIntegerField(null=True, blank=True)
    deactivated_at_ms = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "tenant user"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user_id"], name="oe_user_tenant_id_uniq"),
            models.UniqueConstraint(fields=["tenant", "username"], name="oe_user_tenant_username_uniq"),
            models.UniqueConstraint("tenant", Lower("email"), name="oe_user_tenant_email_ci_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.username}"


class ExternalAccount(models.Model):
    """An identity provider's account linked to a user: ``(issuer, subject)`` per tenant."""

    tenant = tenant_field()
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_accounts")
    provider = models.CharField(max_length=255)
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "issuer", "subject"], name="oe_extaccount_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"


class Team(models.Model):
    tenant = tenant_field()
    team_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "team_id"], name="oe_team_tenant_id_uniq"),
            models.UniqueConstraint("tenant", Lower("name"), name="oe_team_tenant_name_ci_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.name}"


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user_id = models.CharField(max_length=128)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user_id"], name="oe_teammember_uniq")]
        indexes = [models.Index(fields=["user_id"], name="oe_teammember_user_idx")]


class ApiKey(models.Model):
    """Only the SHA-256 of the secret is stored; ``prefix`` is the public lookup id."""

    tenant = tenant_field()
    key_id = models.CharField(max_length=128)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at_ms = models.BigIntegerField()
    expires_at_ms = models.BigIntegerField(null=True, blank=True)
    revoked_at_ms = models.BigIntegerField(null=True, blank=True)
    owner = models.CharField(max_length=128, null=True, blank=True, help_text="the user responsible for the key")

    class Meta:
        verbose_name = "API key"
        indexes = [models.Index(fields=["tenant", "key_id"], name="oe_apikey_tenant_id_idx")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.name} (oe_{self.prefix}_…)"


class Session(models.Model):
    """A browser session; only the SHA-256 of the cookie's token (and of the CSRF token)."""

    tenant = tenant_field()
    session_id = models.CharField(max_length=64)
    user_id = models.CharField(max_length=128)
    token_hash = models.CharField(max_length=64, unique=True)
    csrf_hash = models.CharField(max_length=64)
    auth = models.CharField(max_length=300)
    created_at_ms = models.BigIntegerField()
    last_seen_at_ms = models.BigIntegerField()
    idle_ms = models.BigIntegerField()
    expires_at_ms = models.BigIntegerField()
    mfa = models.BooleanField(default=False)
    remote_addr = models.CharField(max_length=64, blank=True, default="")
    user_agent = models.CharField(max_length=256, blank=True, default="")
    revoked_at_ms = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "user_id"], name="oe_session_user_idx"),
                   models.Index(fields=["expires_at_ms"], name="oe_session_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.user_id} {self.session_id}"


class OneTimeToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=32)
    expires_at_ms = models.BigIntegerField(db_index=True)
    payload = models.JSONField(default=dict)


class LoginThrottle(models.Model):
    key = models.CharField(max_length=200, unique=True, help_text="tenant/username")
    failures = models.IntegerField(default=0)
    window_start_ms = models.BigIntegerField(default=0)
    locked_until_ms = models.BigIntegerField(null=True, blank=True)
    lockouts = models.IntegerField(default=0)
    forget_after_ms = models.BigIntegerField(db_index=True)


class AuditEntry(models.Model):
    tenant = tenant_field()
    entry_id = models.CharField(max_length=32, unique=True, help_text="time-ordered: 13 digits of ms, then random")
    at_ms = models.BigIntegerField(db_index=True)
    actor = models.CharField(max_length=255)
    actor_name = models.CharField(max_length=255, blank=True, default="")
    actor_tenant = models.CharField(max_length=TENANT_MAX_LENGTH, blank=True, default="")
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=255, blank=True, default="")
    remote_addr = models.CharField(max_length=64, blank=True, default="")
    status = models.IntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["tenant", "entry_id"], name="oe_audit_tenant_id_idx"),
                   models.Index(fields=["tenant", "action", "entry_id"], name="oe_audit_action_idx"),
                   models.Index(fields=["tenant", "actor", "entry_id"], name="oe_audit_actor_idx")]

    def __str__(self) -> str:
        return f"{self.tenant} {self.entry_id} {self.action}"
