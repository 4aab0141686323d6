from django.contrib import admin

from adapters.django_orm.catalogue.models import MetricFamily


@admin.register(MetricFamily)
class MetricFamilyAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "kind", "unit", "updated_at")
    list_filter = ("kind", "tenant")
    search_fields = ("name", "help", "tenant")
    readonly_fields = ("created_at", "updated_at")
