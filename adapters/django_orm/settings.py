"""Settings module for ``DJANGO_SETTINGS_MODULE=adapters.django_orm.settings`` (Django's
own tools, e.g. ``django-admin makemigrations``). The processes of Observer-Eye do not
use it: their composition root calls ``adapters.django_orm.setup_django``."""

from adapters.django_orm.config import build_settings

globals().update(build_settings())
