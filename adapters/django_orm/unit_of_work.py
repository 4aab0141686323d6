"""The unit of work over the Django ORM (ports.repositories.UnitOfWork[Runner]).

A use case hands ``run`` one *sync* function; it runs in a worker thread of this
runner's own pool, inside ``transaction.atomic``: every change commits, or none does.
Async code thus never touches the ORM (Django refuses that) and never holds a
connection across an ``await``.

Connections are per thread in Django, so the pool size bounds the connections this
runner opens. Django closes stale connections around each *HTTP request* only; these
threads serve consumers and workers that live for days, so ``close_old_connections``
runs before and after every unit of work: a connection older than ``CONN_MAX_AGE``, or
left broken by a database restart, is replaced instead of failing the next use case.
See docs/adr/0003-django-orm-adapter.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections, transaction

from adapters.django_orm.alerts.repositories import (
    DjangoAlertHistoryRepository,
    DjangoAlertRepository,
    DjangoRuleRepository,
    DjangoSilenceRepository,
)
from adapters.django_orm.compliance.repositories import DjangoComplianceRepository
from adapters.django_orm.identity.repositories import (
    DjangoApiKeyRepository,
    DjangoTeamRepository,
    DjangoTenantRepository,
    DjangoUserRepository,
)
from adapters.django_orm.identity.sessions import (
    DjangoAuditRepository,
    DjangoLoginThrottleRepository,
    DjangoOneTimeTokenRepository,
    DjangoSessionRepository,
)
from adapters.django_orm.incidents.outbox import DjangoOutboxRepository
from adapters.django_orm.incidents.repositories import DjangoIncidentRepository
from adapters.django_orm.notifications.repositories import DjangoDeliveryRepository
from adapters.django_orm.routing.repositories import DjangoRoutingRepository
from adapters.django_orm.oncall.repositories import DjangoOnCallRepository
from adapters.django_orm.rules.repositories import DjangoRuleGroupRepository
from adapters.django_orm.alerts.maintenance import DjangoMaintenanceWindowRepository
from adapters.django_orm.dashboards.preferences import DjangoPreferencesRepository
from adapters.django_orm.dashboards.repositories import DjangoDashboardRepository

T = TypeVar("T")


class DjangoUnitOfWork:
    """The repositories of one unit of work, all on database ``using``."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self.rules = DjangoRuleRepository(using)
        self.rule_groups = DjangoRuleGroupRepository(using)
        self.alerts = DjangoAlertRepository(using)
        self.outbox = DjangoOutboxRepository(using)
        self.incidents = DjangoIncidentRepository(using, self.outbox)
        self.silences = DjangoSilenceRepository(using)
        self.tenants = DjangoTenantRepository(using)
        self.api_keys = DjangoApiKeyRepository(using)
        self.history = DjangoAlertHistoryRepository(using)
        self.deliveries = DjangoDeliveryRepository(using)
        self.compliance = DjangoComplianceRepository(using)
        self.users = DjangoUserRepository(using)
        self.teams = DjangoTeamRepository(using)
        self.sessions = DjangoSessionRepository(using)
        self.one_time_tokens = DjangoOneTimeTokenRepository(using)
        self.login_throttle = DjangoLoginThrottleRepository(using)
        self.audit = DjangoAuditRepository(using)
        self.routing = DjangoRoutingRepository(using)
        self.oncall = DjangoOnCallRepository(using)
        self.maintenance_windows = DjangoMaintenanceWindowRepository(using)
        self.preferences = DjangoPreferencesRepository(using)
        self.dashboards = DjangoDashboardRepository(using)


class DjangoUnitOfWorkRunner:
    """Runs units of work on database alias ``using`` in a pool of ``threads`` threads
    (default: 1 for SQLite, which has a single writer anyway; 8 otherwise)."""

    def __init__(self, using: str = "default", *, threads: int | None = None) -> None:
        self.using = using
        if threads is None:
            threads = 1 if connections[using].vendor == "sqlite" else 8
        self._threads = threads
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"oe-db-{using}")
        self._closed = False

    async def run(self, work: Callable[[DjangoUnitOfWork], T]) -> T:
        if self._closed:
            raise RuntimeError("this unit-of-work runner is closed")
        return await sync_to_async(self.run_sync, thread_sensitive=False, executor=self._executor)(work)

    def run_sync(self, work: Callable[[DjangoUnitOfWork], T]) -> T:
        """Run ``work`` in one transaction in the calling thread (for sync callers:
        management commands, task-queue workers). The calling thread keeps its
        connection for reuse; a thread that ends should ``connections.close_all()``."""
        close_old_connections()
        try:
            with transaction.atomic(using=self.using):
                return work(DjangoUnitOfWork(self.using))
        finally:
            close_old_connections()

    def close(self) -> None:
        """Close every pool thread's connections, then stop the pool. Idempotent."""
        if self._closed:
            return
        self._closed = True
        barrier = threading.Barrier(self._threads, timeout=5)

        def close_this_threads_connections() -> None:
            try:
                barrier.wait()  # one task per thread: each waits until all threads hold one
            except threading.BrokenBarrierError:
                pass
            connections.close_all()

        wait([self._executor.submit(close_this_threads_connections) for _ in range(self._threads)])
        self._executor.shutdown(wait=True)

    async def aclose(self) -> None:
        await sync_to_async(self.close, thread_sensitive=False)()
