from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "adapters.django_orm.notifications"
    label = "oe_notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
