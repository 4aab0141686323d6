from django.contrib import admin

from adapters.django_orm.identity.models import ApiKey, Tenant, User


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "created_at")
    search_fields = ("id", "name")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "tenant", "role", "user_id")
    list_filter = ("role", "tenant")
    search_fields = ("email", "name", "user_id", "tenant")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are minted through the API (the secret is shown once); here they are viewed
    and revoked (set ``revoked_at_ms``). The hash is never shown."""

    list_display = ("name", "tenant", "masked", "scopes", "created_at_ms", "expires_at_ms", "revoked_at_ms")
    list_filter = ("tenant",)
    search_fields = ("name", "key_id", "prefix", "tenant")
    exclude = ("secret_hash",)
    readonly_fields = ("tenant", "key_id", "prefix", "scopes", "created_at_ms")

    @admin.display(description="key")
    def masked(self, obj: ApiKey) -> str:
        return f"oe_{obj.prefix}_…"

    def has_add_permission(self, request) -> bool:
        return False
