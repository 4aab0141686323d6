"""The identity context in the operators' admin. Secrets never show: password hashes,
sealed TOTP secrets, token and key hashes are excluded from every form. Users, keys and
tenants are created through the API or ``observer-eye users|keys|tenants`` (which write
the audit log); here operators look, revoke and unlock."""

from django.contrib import admin

from adapters.django_orm.identity.models import (
    ApiKey,
    AuditEntry,
    ExternalAccount,
    LoginThrottle,
    Session,
    Team,
    TeamMember,
    Tenant,
    User,
)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("id", "name")


class ExternalAccountInline(admin.TabularInline):
    model = ExternalAccount
    extra = 0
    fields = ("provider", "issuer", "subject")
    readonly_fields = fields


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("username", "email", "name", "tenant", "role", "status", "totp_confirmed", "platform_admin")
    list_filter = ("role", "status", "tenant", "platform_admin")
    search_fields = ("username", "email", "name", "user_id", "tenant")
    exclude = ("password_hash", "totp_secret", "invite_token_hash")
    readonly_fields = ("tenant", "user_id", "created_at_ms", "last_sign_in_ms", "last_sign_in_mfa", "totp_last_step",
                       "invite_expires_at_ms", "deactivated_at_ms")
    inlines = [ExternalAccountInline]

    def has_add_permission(self, request) -> bool:
        return False


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "team_id", "tenant")
    list_filter = ("tenant",)
    search_fields = ("name", "team_id", "tenant")
    inlines = [TeamMemberInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are minted through the API (the secret is shown once); here they are viewed
    and revoked (set ``revoked_at_ms``). The hash is never shown."""

    list_display = ("name", "tenant", "masked", "scopes", "owner", "created_at_ms", "expires_at_ms", "revoked_at_ms")
    list_filter = ("tenant",)
    search_fields = ("name", "key_id", "prefix", "tenant", "owner")
    exclude = ("secret_hash",)
    readonly_fields = ("tenant", "key_id", "prefix", "scopes", "created_at_ms", "owner")

    @admin.display(description="key")
    def masked(self, obj: ApiKey) -> str:
        return f"oe_{obj.prefix}_…"

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    """Browser sessions; revoke one by setting ``revoked_at_ms``."""

    list_display = ("session_id", "tenant", "user_id", "auth", "mfa", "remote_addr", "created_at_ms", "revoked_at_ms")
    list_filter = ("tenant", "auth")
    search_fields = ("session_id", "user_id", "tenant", "remote_addr")
    exclude = ("token_hash", "csrf_hash")
    readonly_fields = ("tenant", "session_id", "user_id", "auth", "mfa", "created_at_ms", "last_seen_at_ms", "idle_ms",
                       "expires_at_ms", "remote_addr", "user_agent")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Failed sign-ins per account; deleting a row unlocks the account."""

    list_display = ("key", "failures", "locked_until_ms", "lockouts")
    search_fields = ("key",)
    readonly_fields = ("key", "failures", "window_start_ms", "locked_until_ms", "lockouts", "forget_after_ms")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: nothing here changes or removes an entry."""

    list_display = ("entry_id", "tenant", "actor_name", "actor", "action", "target", "status", "remote_addr")
    list_filter = ("tenant", "action")
    search_fields = ("actor", "actor_name", "action", "target", "tenant")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
