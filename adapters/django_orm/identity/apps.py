from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "adapters.django_orm.identity"
    label = "oe_identity"
    verbose_name = "Identity"
    default_auto_field = "django.db.models.BigAutoField"
