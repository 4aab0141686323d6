from django.contrib import admin

from adapters.django_orm.rules.models import RuleGroup


@admin.register(RuleGroup)
class RuleGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "interval_ms", "limit", "source", "updated_at")
    list_filter = ("tenant",)
    search_fields = ("name", "tenant", "source")
    readonly_fields = ("created_at", "updated_at")
