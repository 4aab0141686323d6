"""A tenant's saved dashboards (domain/dashboards/dashboard.py) as versioned resources
(docs/adr/0017): created, replaced and deleted with the version they were read at, each
change audited with before and after in its unit of work. Every panel's expressions
are parsed with the PromQL engine's parser, so a dashboard never stores a query that
cannot run; an import is a create from an exported definition."""

from __future__ import annotations

import dataclasses
from typing import Any

from domain.dashboards.dashboard import Dashboard, DashboardLimits, dashboard_view, parse_definition
from domain.errors import Conflict, NotFound, ValidationError
from domain.promql.errors import PromQLError
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.identity.audit import Actor
from services.promql.parsing import parse


def _target(dashboard_id: str) -> str:
    return f"dashboard:{dashboard_id}"


class DashboardService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, limits: DashboardLimits = DashboardLimits()) -> None:
        self._uow = uow
        self._clock = clock
        self.limits = limits

    def build(self, tenant: str, dashboard_id: str, definition: Any) -> Dashboard:
        """The dashboard a definition describes; every problem names its field, a query
        that does not parse included (``panels[1].queries[0]``)."""
        dashboard = parse_definition(definition, id=dashboard_id, tenant=tenant, limits=self.limits)
        for i, panel in enumerate(dashboard.panels):
            for j, query in enumerate(panel.queries):
                try:
                    parse(query)
                except PromQLError as exc:
                    raise ValidationError(str(exc), field=f"panels[{i}].queries[{j}]") from None
        return dashboard

    async def list(self, tenant: str, text: str | None = None) -> list[Dashboard]:
        found = await self._uow.run(lambda u: u.dashboards.list(tenant))
        if not text:
            return found
        needle = text.lower()
        return [d for d in found if needle in d.title.lower() or needle in d.description.lower()]

    async def get(self, tenant: str, dashboard_id: str) -> Dashboard:
        found = await self._uow.run(lambda u: u.dashboards.get(tenant, dashboard_id))
        if found is None:
            raise NotFound(f"no dashboard {dashboard_id!r}")
        return found

    async def create(self, actor: Actor, dashboard: Dashboard) -> Dashboard:
        now = self._clock.now_ms()
        stored = dataclasses.replace(dashboard, version=1, created_by=actor.subject, created_at_ms=now,
                                     updated_by=actor.subject, updated_at_ms=now)

        def work(u: UnitOfWork) -> None:
            u.dashboards.add(stored)
            u.audit.add(actor.entry(stored.tenant, "dashboard.create", _target(stored.id), now,
                                    after=dashboard_view(stored)))

        await self._uow.run(work)
        return stored

    async def replace(self, actor: Actor, dashboard: Dashboard, expected_version: int) -> Dashboard:
        """Replace the title, description and panels; who created it stays."""
        now = self._clock.now_ms()

        def work(u: UnitOfWork) -> Dashboard:
            current = self._current(u, dashboard.tenant, dashboard.id, expected_version)
            new = dataclasses.replace(dashboard, version=expected_version + 1, created_by=current.created_by,
                                      created_at_ms=current.created_at_ms, updated_by=actor.subject, updated_at_ms=now)
            u.dashboards.replace(new, expected_version)
            u.audit.add(actor.entry(new.tenant, "dashboard.update", _target(new.id), now,
                                    before=dashboard_view(current), after=dashboard_view(new)))
            return new

        return await self._uow.run(work)

    async def delete(self, actor: Actor, tenant: str, dashboard_id: str, expected_version: int) -> None:
        now = self._clock.now_ms()

        def work(u: UnitOfWork) -> None:
            current = self._current(u, tenant, dashboard_id, expected_version)
            u.dashboards.remove(tenant, dashboard_id, expected_version)
            u.audit.add(actor.entry(tenant, "dashboard.delete", _target(dashboard_id), now,
                                    before=dashboard_view(current)))

        await self._uow.run(work)

    @staticmethod
    def _current(u: UnitOfWork, tenant: str, dashboard_id: str, expected_version: int) -> Dashboard:
        current = u.dashboards.get(tenant, dashboard_id)
        if current is None:
            raise NotFound(f"no dashboard {dashboard_id!r}")
        if current.version != expected_version:
            raise Conflict(f"dashboard {dashboard_id!r} is at version {current.version}, not {expected_version}: "
                           "read it again and retry", current_version=current.version)
        return current
