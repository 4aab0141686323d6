"""Production credentials: from settings (and ``*_FILE`` secrets) to the options each
client library takes. The composition root hands the results to the adapters.

Secrets are ``SecretStr`` in the settings (never in a repr or a log line) and are
unwrapped only here, into the client's own options. URLs that carry a password after
this (PostgreSQL, Celery's broker) exist only in memory; the settings keep the URL the
operator wrote.

- Kafka (aiokafka): ``security_protocol``, an ``ssl_context`` (CA, client certificate
  and key, key password) for SSL/SASL_SSL, ``sasl_mechanism`` PLAIN or SCRAM-SHA-256/512
  with ``sasl_plain_username``/``sasl_plain_password`` (aiokafka's names for every
  mechanism's user and password).
- Temporal (temporalio): ``tls`` (True, or a ``TLSConfig`` with the CA, client
  certificate and key, and the server name to verify) and ``api_key``.
- PostgreSQL (psycopg, through Django and the sample store): the password and libpq's
  ``sslmode``/``sslrootcert``/``sslcert``/``sslkey`` added to the URL.
- Redis (redis-py; the cache, and Celery's broker and ledger when they use Redis):
  ``username``/``password``, and for ``rediss://`` URLs ``ssl_ca_certs``,
  ``ssl_certfile``, ``ssl_keyfile`` with certificate verification required.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import SecretStr

from entrypoints.settings import Settings


class CredentialsError(ValueError):
    """Settings that cannot make a working client (names the settings to fix)."""


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


def _path(value: Path | None) -> str | None:
    return None if value is None else str(value)


# ------------------------------------------------------------------------- Kafka


def kafka_security(s: Settings) -> dict[str, Any]:
    """aiokafka's options for every client (producer, consumers, admin)."""
    protocol = s.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context  # aiokafka only when Kafka is chosen

        if (s.kafka_ssl_cert_file is None) != (s.kafka_ssl_key_file is None):
            raise CredentialsError("a Kafka client certificate needs both OBSERVER_KAFKA_SSL_CERT_FILE and _KEY_FILE")
        options["ssl_context"] = create_ssl_context(
            cafile=_path(s.kafka_ssl_ca_file), certfile=_path(s.kafka_ssl_cert_file),
            keyfile=_path(s.kafka_ssl_key_file), password=_secret(s.kafka_ssl_key_password))
    elif s.kafka_ssl_ca_file or s.kafka_ssl_cert_file:
        raise CredentialsError(f"OBSERVER_KAFKA_SSL_* are set but OBSERVER_KAFKA_SECURITY_PROTOCOL is {protocol}: "
                               "use SSL or SASL_SSL")
    if protocol.startswith("SASL_"):
        if not s.kafka_sasl_username or s.kafka_sasl_password is None:
            raise CredentialsError(f"{protocol} needs OBSERVER_KAFKA_SASL_USERNAME and OBSERVER_KAFKA_SASL_PASSWORD(_FILE)")
        options |= {"sasl_mechanism": s.kafka_sasl_mechanism, "sasl_plain_username": s.kafka_sasl_username,
                    "sasl_plain_password": _secret(s.kafka_sasl_password)}
    elif s.kafka_sasl_username or s.kafka_sasl_password is not None:
        raise CredentialsError(f"OBSERVER_KAFKA_SASL_* are set but OBSERVER_KAFKA_SECURITY_PROTOCOL is {protocol}: "
                               "use SASL_PLAINTEXT or SASL_SSL")
    return options


# ---------------------------------------------------------------------- Temporal


def temporal_options(s: Settings) -> dict[str, Any]:
    """``tls`` and ``api_key`` for ``Client.connect`` (a configured cluster only: the
    embedded dev server is plain loopback)."""
    files = (s.temporal_tls_ca_file, s.temporal_tls_cert_file, s.temporal_tls_key_file)
    if not s.temporal_address:
        if s.temporal_tls or any(files) or s.temporal_api_key is not None:
            raise CredentialsError("Temporal TLS and API key settings need OBSERVER_TEMPORAL_ADDRESS (a cluster)")
        return {}
    if (s.temporal_tls_cert_file is None) != (s.temporal_tls_key_file is None):
        raise CredentialsError("a Temporal client certificate needs both OBSERVER_TEMPORAL_TLS_CERT_FILE and _KEY_FILE")
    options: dict[str, Any] = {}
    if any(files) or s.temporal_tls_server_name:
        from temporalio.service import TLSConfig  # temporalio only when Temporal is chosen

        def read(path: Path | None) -> bytes | None:
            return None if path is None else Path(path).read_bytes()

        options["tls"] = TLSConfig(server_root_ca_cert=read(s.temporal_tls_ca_file), client_cert=read(s.temporal_tls_cert_file),
                                   client_private_key=read(s.temporal_tls_key_file), domain=s.temporal_tls_server_name)
    elif s.temporal_tls or s.temporal_api_key is not None:
        options["tls"] = True  # the system's CAs (an API key is only ever sent over TLS)
    if s.temporal_api_key is not None:
        options["api_key"] = _secret(s.temporal_api_key)
    return options


# -------------------------------------------------------------------- PostgreSQL


def _with_password(url: str, password: str | None) -> str:
    if password is None:
        return url
    parts = urlsplit(url)
    if not parts.username:
        raise CredentialsError("a PostgreSQL password needs a user in the URL (postgresql://USER@host/db)")
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(parts.username, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def postgres_url(url: str, password: SecretStr | None, sslmode: str | None, sslrootcert: Path | None,
                 sslcert: Path | None, sslkey: Path | None) -> str:
    """``url`` with the password and libpq's TLS parameters added (the URL's own win for
    the TLS parameters it sets; a password in both places is refused)."""
    if not url.startswith(("postgres://", "postgresql://")):
        if password is not None or sslmode or sslrootcert or sslcert or sslkey:
            raise CredentialsError("PostgreSQL password and TLS settings need a postgresql:// URL")
        return url
    if password is not None and urlsplit(url).password:
        raise CredentialsError("the PostgreSQL URL carries a password already: keep it in the password setting only")
    if (sslcert is None) != (sslkey is None):
        raise CredentialsError("a PostgreSQL client certificate needs both sslcert and sslkey")
    parts = urlsplit(_with_password(url, _secret(password)))
    query = dict(parse_qsl(parts.query))
    wanted = {"sslmode": sslmode, "sslrootcert": _path(sslrootcert), "sslcert": _path(sslcert), "sslkey": _path(sslkey)}
    for name, value in wanted.items():
        if value is not None:
            query.setdefault(name, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


def django_database_url(s: Settings) -> str | None:
    if s.database_url is None:
        if s.database_password is not None or s.database_sslmode:
            raise CredentialsError("OBSERVER_DATABASE_PASSWORD and _SSL* need OBSERVER_DATABASE_URL")
        return None
    return postgres_url(s.database_url, s.database_password, s.database_sslmode, s.database_sslrootcert,
                        s.database_sslcert, s.database_sslkey)


def samples_database_url(s: Settings) -> str:
    return postgres_url(s.samples_database_url, s.samples_database_password, s.samples_database_sslmode,
                        s.samples_database_sslrootcert, s.samples_database_sslcert, s.samples_database_sslkey)


# ------------------------------------------------------------------------- Redis


def redis_options(s: Settings, url: str | None = None) -> dict[str, Any]:
    """redis-py keyword options for ``url`` (default: ``redis_url``)."""
    url = url or s.redis_url
    options: dict[str, Any] = {}
    if s.redis_username:
        options["username"] = s.redis_username
    if s.redis_password is not None:
        options["password"] = _secret(s.redis_password)
    tls_files = (s.redis_ssl_ca_file, s.redis_ssl_cert_file, s.redis_ssl_key_file)
    if url.startswith("rediss://"):
        if (s.redis_ssl_cert_file is None) != (s.redis_ssl_key_file is None):
            raise CredentialsError("a Redis client certificate needs both OBSERVER_REDIS_SSL_CERT_FILE and _KEY_FILE")
        options |= {"ssl_cert_reqs": "required", "ssl_ca_certs": _path(s.redis_ssl_ca_file),
                    "ssl_certfile": _path(s.redis_ssl_cert_file), "ssl_keyfile": _path(s.redis_ssl_key_file)}
    elif any(tls_files):
        raise CredentialsError("OBSERVER_REDIS_SSL_* need a rediss:// URL")
    return options


def celery_broker_url(s: Settings) -> str:
    """Celery's broker (and, unset, result backend): ``celery_broker_url``, else the
    Redis URL, with the Redis password put in (Celery takes it from the URL only)."""
    url = s.celery_broker_url or s.redis_url
    if s.redis_password is None or not url.startswith(("redis://", "rediss://")) or urlsplit(url).password:
        return url
    parts = urlsplit(url)
    user = quote(s.redis_username or parts.username or "", safe="")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(_secret(s.redis_password) or '', safe='')}@{host}"))


def celery_ssl(s: Settings) -> dict[str, Any] | None:
    """Celery's ``broker_use_ssl`` (and ``redis_backend_use_ssl``) for a rediss:// broker."""
    if not celery_broker_url(s).startswith("rediss://"):
        return None
    return {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": _path(s.redis_ssl_ca_file),
            "ssl_certfile": _path(s.redis_ssl_cert_file), "ssl_keyfile": _path(s.redis_ssl_key_file)}
