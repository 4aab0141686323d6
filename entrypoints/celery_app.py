"""The Celery worker's application: ``celery -A entrypoints.celery_app worker``
(or ``observer-eye worker celery``).

It builds the same container as every other process, with the Celery task queue
whatever ``OBSERVER_TASKS`` says (a Celery worker only makes sense with it), and
registers the task handlers: the notification delivery (``notify.deliver``). The
worker reads the alerting configuration itself, so channel secrets never travel
through the broker.
"""

from __future__ import annotations

import logging

from entrypoints.container import build_container
from entrypoints.settings import Settings

log = logging.getLogger("observer_eye.worker")

settings = Settings(tasks="celery")
container = build_container(settings)
queue = container.task_queue()
container.notifications()  # registers the delivery task on the queue
app = queue.app

if settings.repository == "memory":
    log.warning(
        "this worker keeps its delivery audit in its own memory (OBSERVER_REPOSITORY=memory): "
        "the API will not see it; use a shared repository in production"
    )
