"""``setup_django``: configure Django's settings and run ``django.setup()``, once.

Django's settings are process-wide and cannot be reconfigured, so the composition root
calls this once, before importing any model, repository or unit-of-work module of this
package. A second call with the same database is a no-op; one naming a different
default database is refused (it would be silently ignored otherwise). Extra aliases
(``add_database``) may be registered later: the contract and integration tests use them
to run the same process against SQLite and PostgreSQL.

``migrate`` and ``pending_migrations`` do blocking database work: call them from sync
code (a command, or ``sync_to_async``), never on the event loop thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from adapters.django_orm.config import build_settings, database_config

_lock = threading.RLock()
_IDENTITY = ("ENGINE", "NAME", "HOST", "PORT", "USER")


def _same_database(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(str(a.get(k) or "") == str(b.get(k) or "") for k in _IDENTITY)


def setup_django(
    database_url: str | None = None,
    *,
    extra_databases: Mapping[str, str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    debug: bool | None = None,
    secret_key: str | None = None,
) -> None:
    """Configure Django for ``database_url`` (default: ``DATABASE_URL`` or SQLite in
    the data directory) and set it up. Idempotent for the same database."""
    import django
    from django.conf import settings

    with _lock:
        if settings.configured:
            if database_url is not None:
                wanted = database_config(database_url)
                if not _same_database(settings.DATABASES["default"], wanted):
                    raise RuntimeError(
                        "Django is already set up with another default database "
                        f"({settings.DATABASES['default'].get('NAME')!r}); setup_django runs once per process"
                    )
            for alias, url in (extra_databases or {}).items():
                add_database(alias, url)
            django.setup()  # a no-op once the app registry is ready
            return
        settings.configure(
            **build_settings(
                database_url, extra_databases=extra_databases, data_dir_=data_dir, debug=debug, secret_key=secret_key
            )
        )
        django.setup()


def add_database(alias: str, url: str) -> None:
    """Register another database alias after setup (same URL again: no-op)."""
    from django.conf import settings
    from django.db import connections

    with _lock:
        cfg = database_config(url)
        current = settings.DATABASES.get(alias)
        if current is not None:
            if not _same_database(current, cfg):
                raise RuntimeError(f"database alias {alias!r} is already registered for another database")
            return
        settings.DATABASES[alias] = cfg
        connections.configure_settings(settings.DATABASES)  # fills Django's defaults in place
        if connections.settings is not settings.DATABASES:
            connections.settings[alias] = cfg


def migrate(using: str = "default", *, verbosity: int = 0) -> None:
    """Apply every migration to the database ``using`` (creates the tables from empty)."""
    from django.core.management import call_command

    call_command("migrate", database=using, interactive=False, verbosity=verbosity)


def pending_migrations(using: str = "default") -> list[str]:
    """``app.migration`` names not yet applied to ``using`` (empty when up to date)."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, backwards in plan if not backwards]
