from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "adapters.django_orm.incidents"
    label = "oe_incidents"
    verbose_name = "Incidents"
    default_auto_field = "django.db.models.BigAutoField"
