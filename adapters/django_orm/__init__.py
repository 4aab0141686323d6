"""The Django ORM adapter: repositories and the unit of work over SQLite or PostgreSQL.

Django is used as a library. The composition root calls ``setup_django`` once per
process (it configures settings from the environment and runs ``django.setup()``);
only after that may the model, repository and unit-of-work modules be imported:

    from adapters.django_orm import setup_django
    setup_django("postgresql://postgres@127.0.0.1:5432/observer_eye")
    from adapters.django_orm.unit_of_work import DjangoUnitOfWorkRunner

One Django app per bounded context (labels ``oe_catalogue``, ``oe_alerts``,
``oe_incidents``, ``oe_compliance``, ``oe_notifications``, ``oe_identity``), each with
its models, migrations, admin and mappers (model <-> domain object).
"""

from adapters.django_orm.bootstrap import add_database, migrate, pending_migrations, setup_django
from adapters.django_orm.config import default_database_url

__all__ = ["add_database", "default_database_url", "migrate", "pending_migrations", "setup_django"]
