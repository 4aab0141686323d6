"""The Celery application: Redis as broker and result backend, JSON only, late acks.

Late acknowledgement with ``reject_on_worker_lost``: a worker that dies mid-task leaves
the message to be delivered again (at least once); the delivery ledger makes the
second run send nothing if the first one got through. One task prefetched at a time,
so a slow delivery does not hold others hostage on its worker.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

VISIBILITY_TIMEOUT_S = 3600  # > the longest retry countdown, or Redis would hand a waiting task out twice


def create_celery_app(broker_url: str, result_backend: str = "", queue: str = "observer-eye", name: str = "observer-eye",
                      *, ssl: dict[str, Any] | None = None) -> Celery:
    """``ssl``: the TLS options of a rediss:// broker and result backend (CA, client certificate)."""
    app = Celery(name, broker=broker_url, backend=result_backend or broker_url, set_as_current=False)
    if ssl is not None:
        app.conf.update(broker_use_ssl=ssl, redis_backend_use_ssl=ssl)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        result_expires=86_400,
        task_default_queue=queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        result_backend_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        enable_utc=True,
        timezone="UTC",
        worker_hijack_root_logger=False,
    )
    return app
