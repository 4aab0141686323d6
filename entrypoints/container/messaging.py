"""The bus, Redis, the task queue and the notifier: adapters are imported only when the
configuration selects them (the embedded stack runs without aiokafka, redis or Celery)."""

from __future__ import annotations

from adapters.memory.bus import MemoryBus
from adapters.memory.notify import LogNotifier
from adapters.memory.tasks import InProcessTaskQueue
from entrypoints import credentials
from entrypoints.settings import Settings
from ports.bus import PoisonPolicy
from services.evaluator import EVALUATOR_GROUP
from services.writer import WRITER_GROUP


def transient_errors(s: Settings) -> tuple[type[BaseException], ...]:
    """Failures of the infrastructure the selected adapters use, not of a message: a
    consumer retries them as long as they last and never dead-letters on them."""
    errors: list[type[BaseException]] = [OSError, TimeoutError, ConnectionError]
    if s.repository == "django":
        from django.db import InterfaceError, OperationalError

        errors += [OperationalError, InterfaceError]
    if s.sample_store == "postgres":
        import psycopg

        errors += [psycopg.OperationalError, psycopg.InterfaceError]
    if s.sample_store == "sqlite":
        import sqlite3

        errors.append(sqlite3.OperationalError)
    if s.cache == "redis":
        import redis.exceptions

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    return tuple(errors)


def poison(s: Settings) -> PoisonPolicy:
    return PoisonPolicy(max_tries=s.consumer_max_tries, transient=transient_errors(s))


def memory_bus(s: Settings) -> MemoryBus:
    return MemoryBus(partitions=s.bus_partitions, poison=poison(s))


def kafka_bus(s: Settings, store, evaluator_release=None):
    """aiokafka is imported only when the Kafka bus is chosen (the embedded stack runs without it)."""
    from adapters.kafka import GroupHooks, KafkaBus, KafkaConfig

    config = KafkaConfig(
        bootstrap=s.kafka_bootstrap, partitions=s.bus_partitions, replication=s.kafka_replication,
        idempotence=s.kafka_idempotence, compression=None if s.kafka_compression == "none" else s.kafka_compression,
        session_timeout_ms=s.kafka_session_timeout_ms, lag_cache_s=s.kafka_lag_cache_s,
        linger_ms=s.kafka_linger_ms,
        security=credentials.kafka_security(s),
    )
    flush = getattr(store, "flush", None)  # ports.samples.Flushable, where the store buffers
    hooks = {WRITER_GROUP: GroupHooks(positions=store.positions, before_revoke=flush)}
    if evaluator_release is not None:  # the evaluator checkpoints and forgets before partitions move
        hooks[EVALUATOR_GROUP] = GroupHooks(before_revoke=evaluator_release)
    return KafkaBus(config, hooks=hooks, poison=poison(s))


def redis_client(s: Settings):
    from adapters.redis import connect

    return connect(s.redis_url, **credentials.redis_options(s))


class LateHook:
    """A hook the bus is built with and the evaluator plugs into afterwards: the evaluator
    needs the bus, so the bus cannot be given the evaluator."""

    def __init__(self) -> None:
        self.target = None

    async def __call__(self) -> None:
        if self.target is not None:
            await self.target()


def redis_state(client, prefix: str):
    from adapters.redis.state import RedisEvaluatorStateStore

    return RedisEvaluatorStateStore(client, prefix)


def redis_adapter(name: str, client, prefix: str, **options):
    import adapters.redis

    return getattr(adapters.redis, name)(client, prefix, **options)


def celery_queue(s: Settings):
    from adapters.celery.app import create_celery_app  # Celery is only loaded when chosen
    from adapters.celery.tasks import CeleryTaskQueue

    broker = credentials.celery_broker_url(s)
    app = create_celery_app(broker, s.celery_result_backend, s.celery_queue, ssl=credentials.celery_ssl(s))
    return CeleryTaskQueue(app, broker, queue=s.celery_queue, backoff_base_s=s.task_backoff_s,
                           backoff_max_s=s.task_backoff_max_s, redis_options=credentials.redis_options(s, broker))


def redis_ledger(s: Settings):
    from adapters.celery.ledger import RedisDeliveryLedger

    broker = credentials.celery_broker_url(s)
    return RedisDeliveryLedger(broker, namespace=f"observer-eye:{s.celery_queue}",
                               redis_options=credentials.redis_options(s, broker))


def in_process_queue(s: Settings) -> InProcessTaskQueue:
    return InProcessTaskQueue(base_backoff_s=s.task_backoff_s, max_backoff_s=s.task_backoff_max_s)


def channels_notifier(s: Settings, log: LogNotifier):
    from adapters.notify.dispatch import ChannelNotifier, channel_notifiers

    return ChannelNotifier({"log": log, **channel_notifiers(s.outgoing_allow, s.notify_timeout_s)})
