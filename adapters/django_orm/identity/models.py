"""Tenants, their users and API keys. (Operators signing in to this admin are Django's
own ``auth`` users; the users here are the people of a tenant, signing in to the API.)"""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import TENANT_MAX_LENGTH, tenant_field


class Tenant(models.Model):
    id = models.CharField(primary_key=True, max_length=TENANT_MAX_LENGTH, help_text="the tenant id (a DNS label)")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class User(models.Model):
    tenant = tenant_field()
    user_id = models.CharField(max_length=128)
    email = models.CharField(max_length=254)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=16, choices=[(r, r) for r in ("viewer", "responder", "admin")])

    class Meta:
        verbose_name = "tenant user"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user_id"], name="oe_user_tenant_id_uniq"),
            models.UniqueConstraint(fields=["tenant", "email"], name="oe_user_tenant_email_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.email}"


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

    class Meta:
        verbose_name = "API key"
        indexes = [models.Index(fields=["tenant", "key_id"], name="oe_apikey_tenant_id_idx")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.name} (oe_{self.prefix}_…)"
