"""Django settings built from the environment (no Django import here).

Environment:

* ``DATABASE_URL`` (or ``OBSERVER_DATABASE_URL``): ``postgresql://user:pw@host:5432/db``
  or ``sqlite:///path``; default ``sqlite:///<data dir>/observer-eye.sqlite3``.
* ``OBSERVER_DATA_DIR``: the data directory, default ``./var``.
* ``OBSERVER_DJANGO_SECRET_KEY``: signs admin sessions; default: generated once and kept
  in ``<data dir>/django-secret-key`` (mode 0600), so sessions survive restarts.
* ``OBSERVER_DB_CONN_MAX_AGE``: seconds a connection is reused, default 60.
* ``OBSERVER_DEBUG``: ``1`` for Django's debug pages (never in production).
* ``OBSERVER_ADMIN_ALLOWED_HOSTS`` / ``OBSERVER_ADMIN_CSRF_TRUSTED_ORIGINS``: comma
  separated, for an admin served behind a proxy (default: loopback names only).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url

CONTEXT_APPS = ("catalogue", "alerts", "incidents", "compliance", "notifications", "identity", "remediation",
                "rules")
"""One Django app per bounded context, labelled ``oe_<name>``."""
CONTEXT_APPS += ("routing",)  # notification routing (docs/adr/0018-notification-routing.md)
CONTEXT_APPS += ("oncall",)  # escalation policies and on-call schedules (docs/adr/0019-on-call.md)
CONTEXT_APPS += ("dashboards",)  # user preferences, saved dashboards (docs/adr/0015-dashboard.md)

DB_FILE = "observer-eye.sqlite3"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    return Path(explicit or os.environ.get("OBSERVER_DATA_DIR") or "var")


def default_database_url(data_dir_: str | os.PathLike[str] | None = None) -> str:
    """``DATABASE_URL`` from the environment, else the SQLite file in the data directory."""
    url = os.environ.get("DATABASE_URL") or os.environ.get("OBSERVER_DATABASE_URL")
    return url or f"sqlite:///{(data_dir(data_dir_) / DB_FILE).as_posix()}"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _csv(name: str, default: tuple[str, ...] = ()) -> list[str]:
    raw = os.environ.get(name, "")
    return [x.strip() for x in raw.split(",") if x.strip()] or list(default)


def database_config(url: str, *, conn_max_age: int | None = None) -> dict[str, Any]:
    """One ``DATABASES`` entry. SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE``
    (two writers queue instead of failing with "database is locked"); connections are
    reused for ``conn_max_age`` seconds and health-checked before reuse."""
    if conn_max_age is None:
        conn_max_age = int(os.environ.get("OBSERVER_DB_CONN_MAX_AGE", "60"))
    cfg = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    engine = cfg["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(cfg["NAME"])
        if not name or name == ":memory:" or "mode=memory" in name:
            raise ValueError(
                "an in-memory SQLite database is not supported: every worker thread would get "
                "its own empty database; use a file (sqlite:///var/observer-eye.sqlite3)"
            )
        path = Path(name).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        cfg["NAME"] = str(path)
        options = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
        }
        cfg["OPTIONS"] = {**options, **cfg.get("OPTIONS", {})}
    elif engine == "django.db.backends.postgresql":
        cfg.setdefault("OPTIONS", {})
    else:
        raise ValueError(f"unsupported database {url.split(':', 1)[0]!r}: use postgresql:// or sqlite:///")
    return cfg


def _secret_key(directory: Path) -> str:
    key = os.environ.get("OBSERVER_DJANGO_SECRET_KEY")
    if key:
        return key
    path = directory / "django-secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        directory.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        return key


def build_settings(
    database_url: str | None = None,
    *,
    extra_databases: Mapping[str, str] | None = None,
    data_dir_: str | os.PathLike[str] | None = None,
    debug: bool | None = None,
    secret_key: str | None = None,
) -> dict[str, Any]:
    """Every Django setting the adapter needs, as keyword arguments for ``settings.configure``."""
    directory = data_dir(data_dir_)
    databases = {"default": database_config(database_url or default_database_url(directory))}
    for alias, url in (extra_databases or {}).items():
        databases[alias] = database_config(url)
    return {
        "DEBUG": _flag("OBSERVER_DEBUG") if debug is None else debug,
        "SECRET_KEY": secret_key or _secret_key(directory),
        "ALLOWED_HOSTS": _csv("OBSERVER_ADMIN_ALLOWED_HOSTS", ("127.0.0.1", "localhost", "[::1]")),
        "CSRF_TRUSTED_ORIGINS": _csv("OBSERVER_ADMIN_CSRF_TRUSTED_ORIGINS"),
        "DATABASES": databases,
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            *(f"adapters.django_orm.{app}" for app in CONTEXT_APPS),
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": "adapters.django_orm.urls",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": f"django.contrib.auth.password_validation.{v}"}
            for v in (
                "UserAttributeSimilarityValidator",
                "MinimumLengthValidator",
                "CommonPasswordValidator",
                "NumericPasswordValidator",
            )
        ],
        "STATIC_URL": "/static/",
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "LANGUAGE_CODE": "en-us",
        "USE_I18N": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "X_FRAME_OPTIONS": "DENY",
    }
