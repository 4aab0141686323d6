from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "adapters.django_orm.rules"
    label = "oe_rules"
    verbose_name = "PromQL rule groups"
    default_auto_field = "django.db.models.BigAutoField"
