from django.apps import AppConfig


class RemediationConfig(AppConfig):
    name = "adapters.django_orm.remediation"
    label = "oe_remediation"
    verbose_name = "Remediation"
    default_auto_field = "django.db.models.BigAutoField"
