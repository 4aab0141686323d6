from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "adapters.django_orm.routing"
    label = "oe_routing"
    verbose_name = "Notification routing"
    default_auto_field = "django.db.models.BigAutoField"
