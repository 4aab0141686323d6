"""Maintenance windows as tenant-scoped configuration resources (docs/adr/0017).

Created, replaced and deleted with the version they were read at, each change audited
with before and after in its unit of work and announced (``config_changed``, kind
``maintenance_windows``). The alert pipeline's silence stage reads a tenant's windows
with its silences on every pass, so a change mutes (or stops muting) from the next pass
on without any reload.

The setting ``OBSERVER_MAINTENANCE_WINDOWS`` of earlier releases (cron schedules run by
Temporal) seeds a tenant's windows once (``seed``): a cron of one minute and hour on
every day, on weekdays, or on days of the month becomes an RRULE window; others are
refused with the reason, to be entered through the API instead.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.alerts.maintenance import MaintenanceWindow, Schedule, WindowState, check_limits
from domain.alerts.rrule import DAYS, RRule
from domain.alerts.silences import SilenceLimits
from domain.errors import Conflict, NotFound, ValidationError
from domain.identity.audit import AuditQuery
from domain.metrics.matchers import Matcher
from ports.cache import PubSub
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.config_changes import announce
from services.identity.audit import Actor

log = logging.getLogger(__name__)
CONFIG_KIND = "maintenance_windows"
SEED_ACTION = "maintenance_window.seed"


def window_view(w: MaintenanceWindow, now_ms: int | None = None) -> dict[str, Any]:
    """A window as the API shows it and the audit log records it (with its state at
    ``now_ms`` when given)."""
    s = w.schedule
    view: dict[str, Any] = {
        "id": w.id, "name": w.name, "matchers": [{"name": m.name, "op": m.op.value, "value": m.value} for m in w.matchers],
        "schedule": {"kind": s.kind.value, "timezone": s.timezone, "starts_at_ms": s.starts_at_ms,
                     "ends_at_ms": s.ends_at_ms, "weekdays": sorted(s.weekdays) or None,
                     "start_time": s.start_time or None, "duration_ms": s.duration_ms or None,
                     "rrule": None if s.rrule is None else str(s.rrule)},
        "comment": w.comment, "created_by": w.created_by, "created_at_ms": w.created_at_ms, "version": w.version,
        "updated_by": w.updated_by, "updated_at_ms": w.updated_at_ms, "seeded_from": w.seeded_from or None,
    }
    if now_ms is not None:
        view["state"] = w.state_at(now_ms).value
        view["next_start_ms"] = s.next_start(now_ms)
    return view


@dataclass(frozen=True, slots=True)
class WindowFilter:
    state: WindowState | None = None
    text: str | None = None  # substring of the name or the comment

    def matches(self, w: MaintenanceWindow, now_ms: int) -> bool:
        if self.state is not None and w.state_at(now_ms) is not self.state:
            return False
        if self.text:
            needle = self.text.lower()
            return needle in w.name.lower() or needle in w.comment.lower()
        return True


class MaintenanceWindowService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, limits: SilenceLimits = SilenceLimits(),
                 pubsub: PubSub | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._limits = limits
        self._pubsub = pubsub

    def now_ms(self) -> int:
        return self._clock.now_ms()

    async def list(self, tenant: str, where: WindowFilter = WindowFilter()) -> list[MaintenanceWindow]:
        now = self._clock.now_ms()
        return [w for w in await self._uow.run(lambda u: u.maintenance_windows.list(tenant)) if where.matches(w, now)]

    async def get(self, tenant: str, window_id: str) -> MaintenanceWindow:
        found = await self._uow.run(lambda u: u.maintenance_windows.get(tenant, window_id))
        if found is None:
            raise NotFound(f"no maintenance window {window_id!r}")
        return found

    async def create(self, actor: Actor, window: MaintenanceWindow) -> MaintenanceWindow:
        check_limits(window, self._limits)
        now = self._clock.now_ms()
        stored = dataclasses.replace(window, version=1, created_by=actor.subject, created_at_ms=now,
                                     updated_by=actor.subject, updated_at_ms=now)

        def work(u: UnitOfWork) -> None:
            u.maintenance_windows.add(stored)
            u.audit.add(actor.entry(window.tenant, "maintenance_window.create", f"maintenance_window:{window.id}", now,
                                    after=window_view(stored)))

        await self._uow.run(work)
        await announce(self._pubsub, window.tenant, CONFIG_KIND)
        return stored

    async def replace(self, actor: Actor, window: MaintenanceWindow, expected_version: int) -> MaintenanceWindow:
        """Replace what the window mutes, when and why; who created it stays."""
        check_limits(window, self._limits)
        now = self._clock.now_ms()

        def work(u: UnitOfWork) -> MaintenanceWindow:
            current = self._current(u, window.tenant, window.id, expected_version)
            new = dataclasses.replace(window, created_by=current.created_by, created_at_ms=current.created_at_ms,
                                      seeded_from=current.seeded_from, version=expected_version + 1,
                                      updated_by=actor.subject, updated_at_ms=now)
            u.maintenance_windows.replace(new, expected_version)
            u.audit.add(actor.entry(window.tenant, "maintenance_window.update", f"maintenance_window:{window.id}", now,
                                    before=window_view(current), after=window_view(new)))
            return new

        stored = await self._uow.run(work)
        await announce(self._pubsub, window.tenant, CONFIG_KIND)
        return stored

    async def delete(self, actor: Actor, tenant: str, window_id: str, expected_version: int) -> None:
        now = self._clock.now_ms()

        def work(u: UnitOfWork) -> None:
            current = self._current(u, tenant, window_id, expected_version)
            u.maintenance_windows.remove(tenant, window_id, expected_version)
            u.audit.add(actor.entry(tenant, "maintenance_window.delete", f"maintenance_window:{window_id}", now,
                                    before=window_view(current)))

        await self._uow.run(work)
        await announce(self._pubsub, tenant, CONFIG_KIND)

    @staticmethod
    def _current(u: UnitOfWork, tenant: str, window_id: str, expected_version: int) -> MaintenanceWindow:
        current = u.maintenance_windows.get(tenant, window_id)
        if current is None:
            raise NotFound(f"no maintenance window {window_id!r}")
        if current.version != expected_version:
            raise Conflict(f"maintenance window {window_id!r} is at version {current.version}, not {expected_version}: "
                           "read it again and retry", current_version=current.version)
        return current

    # -- the one-time seed from the settings ---------------------------------------------------

    async def seed(self, default_tenant: str, entries: Sequence[Mapping[str, Any]], *, span_ms: int) -> list[str]:
        """Create the windows of ``OBSERVER_MAINTENANCE_WINDOWS`` in each tenant that was
        never seeded (an audit entry ``maintenance_window.seed`` records that it was), valid
        for ``span_ms`` from now. Returns the ids created; entries that cannot be expressed
        are logged and skipped."""
        now = self._clock.now_ms()
        actor = Actor.system("settings: OBSERVER_MAINTENANCE_WINDOWS")
        by_tenant: dict[str, list[MaintenanceWindow]] = {}
        for i, entry in enumerate(entries):
            where = f"maintenance_windows[{i}]"
            try:
                w = window_from_setting(entry, default_tenant, now, span_ms, where)
                check_limits(w, self._limits)
            except (ValidationError, KeyError, TypeError, ValueError) as exc:
                log.error("%s cannot be seeded as a maintenance window (%s); create it through "
                          "/api/v1/maintenance-windows instead", where, getattr(exc, "message", exc))
                continue
            by_tenant.setdefault(w.tenant, []).append(w)

        def work(u: UnitOfWork) -> list[str]:
            created = []
            for tenant, windows in by_tenant.items():
                if u.audit.query(AuditQuery(tenant, action=SEED_ACTION, limit=1)):
                    continue  # seeded before: the stored windows are the only source now
                for w in windows:
                    if u.maintenance_windows.get(tenant, w.id) is None:
                        u.maintenance_windows.add(w)
                        created.append(w.id)
                u.audit.add(actor.entry(tenant, SEED_ACTION, "maintenance_windows", now,
                                        after={"windows": [w.id for w in windows]}))
            return created

        created = await self._uow.run(work)
        for tenant in by_tenant:
            await announce(self._pubsub, tenant, CONFIG_KIND)
        return created


def window_from_setting(entry: Mapping[str, Any], default_tenant: str, now_ms: int, span_ms: int,
                        where: str) -> MaintenanceWindow:
    """One ``OBSERVER_MAINTENANCE_WINDOWS`` entry (``window_id``, ``cron``, ``duration_ms``,
    ``matchers`` of ``{name, op, value}``, ``created_by``, ``comment``, ``timezone``)."""
    start_time, rule = cron_to_rrule(str(entry["cron"]))
    matchers = tuple(Matcher.of(m["name"], m.get("op", "="), m["value"]) for m in entry["matchers"])
    schedule = Schedule("rrule", now_ms, now_ms + span_ms, entry.get("timezone", "UTC"), start_time=start_time,
                        duration_ms=int(entry["duration_ms"]), rrule=rule)
    window_id = str(entry["window_id"])
    return MaintenanceWindow(id=window_id, tenant=entry.get("tenant", default_tenant), name=window_id,
                             matchers=matchers, schedule=schedule,
                             comment=entry.get("comment") or f"maintenance window {window_id} (from the settings)",
                             created_by=entry.get("created_by") or "settings", created_at_ms=now_ms,
                             updated_by="settings", updated_at_ms=now_ms, seeded_from=where)


_CRON_DAYS = {"0": 6, "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}


def cron_to_rrule(cron: str) -> tuple[str, RRule]:
    """A cron line of one minute and one hour (``30 22 * * 6``) as a start time and an
    RRULE: every day, on listed weekdays, or on listed days of the month."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValidationError(f"cron {cron!r} must have five fields", field="cron")
    minute, hour, dom, month, dow = fields
    if not (minute.isdigit() and hour.isdigit() and int(minute) < 60 and int(hour) < 24) or month != "*":
        raise ValidationError(f"cron {cron!r}: only one minute and hour, every month, can be converted", field="cron")
    start = f"{int(hour):02d}:{int(minute):02d}"
    if dom == "*" and dow == "*":
        return start, RRule.parse("FREQ=DAILY")
    if dom == "*" and all(d in _CRON_DAYS for d in dow.split(",")):
        return start, RRule.parse("FREQ=WEEKLY;BYDAY=" + ",".join(DAYS[_CRON_DAYS[d]] for d in dow.split(",")))
    if dow == "*" and all(d.isdigit() and 1 <= int(d) <= 31 for d in dom.split(",")):
        return start, RRule.parse(f"FREQ=MONTHLY;BYMONTHDAY={dom}")
    raise ValidationError(f"cron {cron!r}: ranges, steps and names are not converted", field="cron")
