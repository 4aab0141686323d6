from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "adapters.django_orm.alerts"
    label = "oe_alerts"
    verbose_name = "Alerts"
    default_auto_field = "django.db.models.BigAutoField"
