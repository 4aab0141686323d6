from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "adapters.django_orm.catalogue"
    label = "oe_catalogue"
    verbose_name = "Metrics catalogue"
    default_auto_field = "django.db.models.BigAutoField"
