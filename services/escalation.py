"""Escalation use cases the incident workflow calls through its activities.

``freeze`` reads the policy and the schedules it names once, when the incident opens;
the workflow keeps that copy, so later edits to a policy never change an escalation in
flight. A tenant without a policy for the severity gets none (``"policy": None``): the
incident's workflow says so, nobody is paged. ``page`` resolves who is on call *at the
instant the workflow passes in* (its own clock), then queues a delivery to each of
them on the one delivery path (``services.notifications``: the same ledger, retries
and audit as alert notifications), with a key derived from the step, so a retried or
replayed page never reaches anyone twice.

Policies and schedules cross the workflow boundary as plain dicts (``*_to_dict`` /
``*_from_dict``): the history stays readable and independent of class layouts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import ValidationError
from domain.incidents.escalation import EscalationLevel, EscalationPolicy, Target
from domain.incidents.oncall import Layer, Override, Restriction, Rotation, Schedule
from ports.oncall import OnCallDirectory
from services.delivery_jobs import UserMessage
from services.notifications import NotificationService

# ----------------------------------------------------------------- codecs


def policy_to_dict(p: EscalationPolicy) -> dict[str, Any]:
    return {"id": p.id, "tenant": p.tenant, "name": p.name, "repeat": p.repeat,
            "levels": [{"timeout_ms": lv.timeout_ms, "targets": [{"kind": t.kind, "ref": t.ref} for t in lv.targets]}
                       for lv in p.levels]}


def policy_from_dict(d: Mapping[str, Any]) -> EscalationPolicy:
    try:
        levels = tuple(EscalationLevel(tuple(Target(t["kind"], t["ref"]) for t in lv["targets"]), lv["timeout_ms"])
                       for lv in d["levels"])
        return EscalationPolicy(d["id"], d["tenant"], d.get("name", d["id"]), levels, d.get("repeat", 0))
    except (KeyError, TypeError) as e:
        raise ValidationError(f"malformed escalation policy: missing {e}", field="policy") from None


def schedule_to_dict(s: Schedule) -> dict[str, Any]:
    return {
        "id": s.id, "tenant": s.tenant, "name": s.name, "timezone": s.timezone,
        "layers": [{"name": ly.name,
                    "rotation": {"users": list(ly.rotation.users), "start_ms": ly.rotation.start_ms,
                                 "handoff_time": ly.rotation.handoff_time, "timezone": ly.rotation.timezone,
                                 "length": ly.rotation.length},
                    "restrictions": [{"start_day": r.start_day, "start_time": r.start_time, "end_day": r.end_day,
                                      "end_time": r.end_time} for r in ly.restrictions]}
                   for ly in s.layers],
        "overrides": [{"user": o.user, "start_ms": o.start_ms, "end_ms": o.end_ms} for o in s.overrides],
    }


def schedule_from_dict(d: Mapping[str, Any]) -> Schedule:
    try:
        layers = tuple(
            Layer(ly["name"], Rotation(tuple(ly["rotation"]["users"]), ly["rotation"]["start_ms"],
                                       ly["rotation"].get("handoff_time", "09:00"),
                                       ly["rotation"].get("timezone", "UTC"), ly["rotation"].get("length", "weekly")),
                  tuple(Restriction(**r) for r in ly.get("restrictions", ())))
            for ly in d.get("layers", ()))
        overrides = tuple(Override(o["user"], o["start_ms"], o["end_ms"]) for o in d.get("overrides", ()))
        return Schedule(d["id"], d["tenant"], d.get("name", d["id"]), d.get("timezone", "UTC"), layers, overrides)
    except (KeyError, TypeError) as e:
        raise ValidationError(f"malformed schedule: {e}", field="schedule") from None


# ------------------------------------------------------------ activity I/O


@dataclass(frozen=True)
class PageRequest:
    """Page every target of one escalation step. ``key`` is the step's idempotency key
    (incident, response round, step); target i is sent as ``{key}/t{i}``."""

    tenant: str
    incident_id: str
    title: str
    severity: str
    step: int
    level: int
    cycle: int
    targets: list[dict[str, str]]
    schedules: dict[str, dict[str, Any]]
    at_ms: int
    key: str


@dataclass(frozen=True)
class PageResult:
    """One target of a step: who it meant (None: nobody on call), the delivery's key and
    its status once queued (``queued``; ``sent`` if that key went out before).
    ``delivered`` is True only for a delivery known sent."""

    target: str
    user: str | None
    key: str
    delivered: bool
    detail: str = ""
    status: str = ""


def on_call(target: Mapping[str, str], schedules: Mapping[str, Mapping[str, Any]], at_ms: int) -> str | None:
    """Who a target means at ``at_ms``: the user, or whoever the schedule has on call
    (overrides and time zones included); None for a gap or an unknown schedule."""
    if target["kind"] == "user":
        return target["ref"]
    data = schedules.get(target["ref"])
    return None if data is None else schedule_from_dict(data).on_call_at(at_ms)


class EscalationService:
    def __init__(self, directory: OnCallDirectory, notifications: NotificationService) -> None:
        self._directory = directory
        self._notifications = notifications

    async def freeze(self, tenant: str, severity: str) -> dict[str, Any]:
        """The policy for a new incident and every schedule it names, as plain data
        (``policy`` None: the tenant has none for this severity)."""
        policy = await self._directory.policy_for(tenant, severity)
        if policy is None:
            return {"policy": None, "schedules": {}}
        refs = sorted({t.ref for lv in policy.levels for t in lv.targets if t.kind == "schedule"})
        schedules = await self._directory.schedules(tenant, refs)
        return {"policy": policy_to_dict(policy), "schedules": {s.id: schedule_to_dict(s) for s in schedules}}

    async def _people(self, req: PageRequest, i: int, target: Mapping[str, str]) -> list[tuple[str | None, str, str]]:
        """(user or None, key, why nobody) for each person target i means now: a team
        is every member (each with a key of their own), read when the page goes out."""
        key = f"{req.key}/t{i}"
        if target["kind"] != "team":
            user = on_call(target, req.schedules, req.at_ms)
            return [(user, key, "" if user else "nobody on call")]
        members = await self._directory.team_members(req.tenant, target["ref"])
        if not members:
            return [(None, key, "no such team" if members is None else "the team has no members")]
        return [(m, f"{key}/{m}", "") for m in members]

    async def page(self, req: PageRequest) -> list[PageResult]:
        out: list[PageResult] = []
        for i, target in enumerate(req.targets):
            name = f"{target['kind']}:{target['ref']}"
            for user, key, nobody in await self._people(req, i, target):
                if user is None:
                    out.append(PageResult(name, None, key, False, nobody))
                else:
                    out.append(await self._page_one(req, name, user, key))
        return out

    async def _page_one(self, req: PageRequest, name: str, user: str, key: str) -> PageResult:
        receipt = await self._notifications.queue(UserMessage(
            tenant=req.tenant, user=user, key=key,
            subject=f"[{req.severity}] {req.title} (incident {req.incident_id})",
            body=(f"Incident {req.incident_id} is not acknowledged: paging {user} via {name}, "
                  f"level {req.level + 1}, step {req.step + 1}. "
                  f"Acknowledge with POST /api/v1/incidents/{req.incident_id}/acknowledge. ref={key}"),
            payload={"incident_id": req.incident_id, "step": req.step, "level": req.level, "cycle": req.cycle},
        ).job())
        return PageResult(name, user, key, receipt.delivered, receipt.detail, receipt.status)
