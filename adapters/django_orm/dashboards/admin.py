from django.contrib import admin

from adapters.django_orm.dashboards.models import UserPreferences


@admin.register(UserPreferences)
class UserPreferencesAdmin(admin.ModelAdmin):
    list_display = ("user_id", "tenant", "tiles", "version", "updated_at_ms")
    list_filter = ("tenant",)
    search_fields = ("user_id", "tenant")

    @admin.display(description="tiles")
    def tiles(self, obj: UserPreferences) -> str:
        return "default" if obj.dashboard_layout is None else str(len(obj.dashboard_layout))
