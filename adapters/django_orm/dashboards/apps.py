from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "adapters.django_orm.dashboards"
    label = "oe_dashboards"
    verbose_name = "Dashboards"
    default_auto_field = "django.db.models.BigAutoField"
