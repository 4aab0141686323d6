from django.apps import AppConfig


class OnCallConfig(AppConfig):
    name = "adapters.django_orm.oncall"
    label = "oe_oncall"
    verbose_name = "On call"
    default_auto_field = "django.db.models.BigAutoField"
