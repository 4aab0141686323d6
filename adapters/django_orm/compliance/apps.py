from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "adapters.django_orm.compliance"
    label = "oe_compliance"
    verbose_name = "Compliance"
    default_auto_field = "django.db.models.BigAutoField"
