"""Production credentials reach the clients: settings (and *_FILE secrets) become the
options aiokafka, temporalio, psycopg, Django and redis-py are given. Real connections
where they are cheap: a private TLS-only, password-protected redis-server for the cache
and Celery's ledger; the local PostgreSQL (which speaks no TLS) for sslmode."""

from __future__ import annotations

import logging
import ssl
import uuid

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

import adapters.kafka.bus as kafka_bus
from adapters.kafka.config import KafkaUnavailable
from entrypoints import credentials
from entrypoints.container import build_container
from entrypoints.settings import Settings
from tests.notify_receivers import make_tls_files
from tests.support.redis_tls import TlsRedis

pytestmark = pytest.mark.integration
SECRET = "s3cr3t-" + uuid.uuid4().hex[:8]


@pytest.fixture
def tls_files(tmp_path):
    return make_tls_files(tmp_path)  # ca.pem, server.pem, server.key


def _secret_file(tmp_path, name: str, value: str = SECRET):
    path = tmp_path / name
    path.write_text(value + "\n")
    return path


# ------------------------------------------------------------------------- Kafka


async def test_kafka_sasl_scram_over_tls_reaches_every_aiokafka_client(tmp_path, tls_files, monkeypatch) -> None:
    ca, _, _ = tls_files
    settings = Settings(data_dir=tmp_path, bus="kafka", kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="SASL_SSL",
                        kafka_sasl_mechanism="SCRAM-SHA-512", kafka_sasl_username="observer",
                        kafka_sasl_password_file=_secret_file(tmp_path, "kafka-password"), kafka_ssl_ca_file=ca)
    made: list = []

    def recording(cls):
        class Recording(cls):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                made.append(self)
        return Recording

    for name, cls in [("AIOKafkaAdminClient", AIOKafkaAdminClient), ("AIOKafkaProducer", AIOKafkaProducer),
                      ("AIOKafkaConsumer", AIOKafkaConsumer)]:
        monkeypatch.setattr(kafka_bus, name, recording(cls))
    bus = build_container(settings).bus()
    with pytest.raises(KafkaUnavailable):
        await bus.start()  # nothing listens on port 1: the clients exist, then fail to connect
    await bus.close()
    assert len(made) == 3
    for client in made:
        inner = getattr(client, "_client", None) or client.client
        assert inner._security_protocol == "SASL_SSL"
        assert (inner._sasl_mechanism, inner._sasl_plain_username, inner._sasl_plain_password) == (
            "SCRAM-SHA-512", "observer", SECRET)
        assert isinstance(inner._ssl_context, ssl.SSLContext)
        assert inner._ssl_context.verify_mode == ssl.CERT_REQUIRED
        assert inner._ssl_context.cert_store_stats()["x509_ca"] == 1  # our CA, not the system's


@pytest.mark.parametrize("settings, message", [
    ({"kafka_security_protocol": "SASL_PLAINTEXT"}, "SASL_USERNAME"),
    ({"kafka_sasl_username": "u", "kafka_sasl_password": "p"}, "SASL_PLAINTEXT or SASL_SSL"),
    ({"kafka_security_protocol": "SSL", "kafka_ssl_cert_file": "/c.pem"}, "_KEY_FILE"),
])
def test_incomplete_kafka_credentials_are_refused_naming_the_settings(settings, message) -> None:
    with pytest.raises(credentials.CredentialsError) as info:
        credentials.kafka_security(Settings(**settings))
    assert message in str(info.value)


# ---------------------------------------------------------------------- Temporal


async def test_temporal_tls_and_api_key_reach_client_connect(tmp_path, tls_files, monkeypatch) -> None:
    from temporalio.client import Client
    from temporalio.service import TLSConfig

    ca, cert, key = tls_files
    settings = Settings(data_dir=tmp_path, workflows="temporal", temporal_address="temporal.internal:7233",
                        temporal_tls_ca_file=ca, temporal_tls_cert_file=cert, temporal_tls_key_file=key,
                        temporal_tls_server_name="temporal.internal", temporal_api_key_file=_secret_file(tmp_path, "tk"))
    seen: dict = {}

    async def connect(target, **kwargs):
        seen.update(kwargs, target=target)
        raise ConnectionRefusedError("recorded")

    monkeypatch.setattr(Client, "connect", connect)
    with pytest.raises(ConnectionRefusedError):
        await build_container(settings).temporal().client()
    assert seen["target"] == "temporal.internal:7233" and seen["api_key"] == SECRET
    tls = seen["tls"]
    assert isinstance(tls, TLSConfig) and tls.domain == "temporal.internal"
    assert (tls.server_root_ca_cert, tls.client_cert, tls.client_private_key) == (ca.read_bytes(), cert.read_bytes(),
                                                                                 key.read_bytes())


def test_an_api_key_alone_means_tls_with_the_system_cas() -> None:
    options = credentials.temporal_options(Settings(temporal_address="ns.tmprl.cloud:7233", temporal_api_key="k"))
    assert options == {"tls": True, "api_key": "k"}
    assert credentials.temporal_options(Settings()) == {}  # the embedded dev server: plain loopback


# -------------------------------------------------------------------- PostgreSQL


def test_postgres_password_and_tls_reach_psycopg_and_django(tmp_path, tls_files) -> None:
    from adapters.django_orm.config import database_config

    ca, cert, key = tls_files
    password = "p@ss:w/rd " + SECRET
    settings = Settings(database_url="postgresql://oe@db.internal:5432/oe", database_password=password,
                        database_sslmode="verify-full", database_sslrootcert=ca, database_sslcert=cert, database_sslkey=key,
                        samples_database_url="postgresql://samples@pg.internal/samples",
                        samples_database_password_file=_secret_file(tmp_path, "pg", password), samples_database_sslmode="require")
    django = database_config(credentials.django_database_url(settings))
    assert django["PASSWORD"] == password and django["USER"] == "oe"
    assert django["OPTIONS"] == {"sslmode": "verify-full", "sslrootcert": str(ca), "sslcert": str(cert), "sslkey": str(key)}
    conninfo = psycopg.conninfo.conninfo_to_dict(credentials.samples_database_url(settings))
    assert (conninfo["password"], conninfo["sslmode"], conninfo["user"]) == (password, "require", "samples")
    assert password not in repr(settings) and SECRET not in str(settings.model_dump())


async def test_sslmode_is_what_the_sample_store_connects_with() -> None:
    # The local PostgreSQL speaks no TLS: "require" must make the real connection fail.
    url = credentials.samples_database_url(Settings(samples_database_url="postgresql://postgres@127.0.0.1:5432/postgres",
                                                    samples_database_sslmode="require"))
    with pytest.raises(psycopg.OperationalError) as refused:
        await psycopg.AsyncConnection.connect(url, connect_timeout=5)
    assert "SSL" in str(refused.value)
    plain = credentials.samples_database_url(Settings(samples_database_url="postgresql://postgres@127.0.0.1:5432/postgres",
                                                      samples_database_sslmode="disable"))
    async with await psycopg.AsyncConnection.connect(plain, connect_timeout=5) as conn:
        assert (await (await conn.execute("select 1")).fetchone()) == (1,)


# ------------------------------------------------------------------------- Redis


async def test_redis_over_tls_with_a_password_file(tmp_path, caplog) -> None:
    with TlsRedis(tmp_path, SECRET) as server:
        base = {"data_dir": tmp_path, "redis_url": server.url, "redis_ssl_ca_file": server.ca}
        settings = Settings(cache="redis", redis_password_file=_secret_file(tmp_path, "redis-pw"), **base)
        with caplog.at_level(logging.DEBUG):
            container = build_container(settings)
            client = container.redis()
            assert await client.ping()
            await client.set("oe-credentials-test", "1")
            await client.aclose()

            # Celery's side of Redis (the delivery ledger) gets the same credentials.
            ledger = build_container(Settings(tasks="celery", redis_password=SECRET, **base)).delivery_ledger()
            claim = await ledger.claim("k-1", "worker-1", 5)
            assert claim.value == "claimed"
        assert SECRET not in caplog.text

        # Without the password, or without our CA, the server is not reached.
        import redis.asyncio as aredis
        import redis.exceptions

        with pytest.raises(redis.exceptions.AuthenticationError):
            denied = build_container(Settings(cache="redis", **base)).redis()
            try:
                await denied.ping()
            finally:
                await denied.aclose()
        untrusted = aredis.Redis.from_url(server.url, password=SECRET, ssl_cert_reqs="required")
        with pytest.raises(redis.exceptions.ConnectionError):
            await untrusted.ping()
        await untrusted.aclose()


def test_celery_gets_the_broker_password_and_tls(tmp_path, tls_files) -> None:
    ca, _, _ = tls_files
    settings = Settings(tasks="celery", redis_url="rediss://redis.internal:6380/0", redis_password=SECRET,
                        redis_ssl_ca_file=ca)
    queue = build_container(settings).task_queue()
    try:
        conf = queue.app.conf
        assert conf.broker_use_ssl["ssl_cert_reqs"] == ssl.CERT_REQUIRED and conf.broker_use_ssl["ssl_ca_certs"] == str(ca)
        assert conf.redis_backend_use_ssl == conf.broker_use_ssl
        assert SECRET in conf.broker_url and conf.broker_url.startswith("rediss://:")
        pool = queue._redis.connection_pool
        assert pool.connection_kwargs["password"] == SECRET and pool.connection_kwargs["ssl_ca_certs"] == str(ca)
    finally:
        queue.close()
