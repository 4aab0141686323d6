"""Postmortems: drafted from the incident's timeline when it resolves, owned by the
first responder, published by a person, and then the incident closes.

The drafting is a pure function of the incident snapshot and the merged timeline
(the workflow's escalation log included), so a retried activity drafts the same text;
the store keeps one document per incident response cycle, keyed by a deterministic id,
so a retry finds the draft it already wrote instead of writing a second one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from domain.errors import InvalidTransition, NotFound
from ports.postmortems import Postmortem, PostmortemStore


@dataclass(frozen=True)
class DraftRequest:
    tenant: str
    incident_id: str
    cycle: int
    snapshot: dict[str, Any]
    timeline: list[dict[str, Any]]
    due_at_ms: int
    at_ms: int


def postmortem_id(incident_id: str, cycle: int) -> str:
    return f"{incident_id}.pm{cycle}"


def _iso(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(a: int | None, b: int | None) -> str:
    if a is None or b is None:
        return "-"
    s = max(0, (b - a) // 1000)
    return f"{s // 3600}h {s % 3600 // 60:02d}m {s % 60:02d}s"


def choose_owner(snapshot: dict[str, Any]) -> str:
    """Who owns the write-up: whoever acknowledged in the last response cycle, else
    whoever resolved it, else the first person in the timeline who is not the system."""
    entries = snapshot.get("timeline", [])
    start = max((i for i, e in enumerate(entries) if e["kind"] in ("opened", "reopened")), default=0)
    current = entries[start:]
    for kind in ("acknowledged", "resolved"):
        for e in current:
            if e["kind"] == kind and e["actor"] != "system":
                return e["actor"]
    return next((e["actor"] for e in entries if e["actor"] not in ("system", "escalation")), "unassigned")


def draft_body(snapshot: dict[str, Any], timeline: list[dict[str, Any]]) -> str:
    s = snapshot
    lines = [
        f"# Postmortem: {s['title']}", "",
        f"- Incident: {s['id']} ({s['severity']}), alerts: {len(s.get('alerts', []))}",
        f"- Opened: {_iso(s.get('opened_at_ms'))}",
        f"- First acknowledged: {_iso(s.get('first_acknowledged_at_ms'))} "
        f"(after {_span(s.get('opened_at_ms'), s.get('first_acknowledged_at_ms'))})",
        f"- Resolved: {_iso(s.get('resolved_at_ms'))} (after {_span(s.get('opened_at_ms'), s.get('resolved_at_ms'))})",
        f"- Reopened: {s.get('reopen_count', 0)} time(s)", "",
        "## Summary", "", s.get("summary") or "_To be written by the owner._", "",
        "## Timeline", "",
    ]
    for e in sorted(timeline, key=lambda e: e["at_ms"]):
        text = f": {e['text']}" if e.get("text") else ""
        lines.append(f"- {_iso(e['at_ms'])} **{e['kind']}** by {e['actor']}{text}")
    lines += ["", "## Impact", "", "_Who and what was affected, for how long._", "",
              "## Root cause", "", "_Why it happened._", "",
              "## What went well / what did not", "", "_Detection, paging, remediation._", "",
              "## Action items", "", "- [ ] _owner, due date_", ""]
    return "\n".join(lines)


class PostmortemService:
    def __init__(self, store: PostmortemStore) -> None:
        self._store = store

    async def draft(self, req: DraftRequest) -> Postmortem:
        pid = postmortem_id(req.incident_id, req.cycle)
        existing = await self._store.get(req.tenant, pid)
        if existing is not None:
            return existing
        pm = Postmortem(id=pid, tenant=req.tenant, incident_id=req.incident_id,
                        title=f"Postmortem: {req.snapshot['title']}", owner=choose_owner(req.snapshot),
                        due_at_ms=req.due_at_ms, body=draft_body(req.snapshot, req.timeline))
        await self._store.save(pm)
        return pm

    async def get(self, tenant: str, pid: str) -> Postmortem:
        pm = await self._store.get(tenant, pid)
        if pm is None:
            raise NotFound(f"no postmortem {pid!r}")
        return pm

    async def reassign(self, tenant: str, pid: str, owner: str) -> Postmortem:
        pm = await self.get(tenant, pid)
        if pm.owner == owner:
            return pm
        return await self._save(dataclasses.replace(pm, owner=owner, version=pm.version + 1))

    async def publish(self, tenant: str, pid: str, actor: str, at_ms: int, body: str | None = None) -> Postmortem:
        """Idempotent: publishing a published postmortem returns it unchanged."""
        pm = await self.get(tenant, pid)
        if pm.status == "published":
            return pm
        if pm.status != "draft":
            raise InvalidTransition("postmortem", pm.status, "publish")
        return await self._save(dataclasses.replace(pm, status="published", published_by=actor, published_at_ms=at_ms,
                                                    body=body if body else pm.body, version=pm.version + 1))

    async def cancel(self, tenant: str, pid: str) -> Postmortem | None:
        pm = await self._store.get(tenant, pid)
        if pm is None or pm.status != "draft":
            return pm
        return await self._save(dataclasses.replace(pm, status="cancelled", version=pm.version + 1))

    async def _save(self, pm: Postmortem) -> Postmortem:
        await self._store.save(pm)
        return pm


def reminder_times(due_at_ms: int, remind_before_ms: int, overdue_every_ms: int, max_reminders: int) -> list[int]:
    """When to remind the owner: ``remind_before_ms`` ahead of the due date, on it, and
    every ``overdue_every_ms`` after, ``max_reminders`` times in all."""
    times = [due_at_ms - remind_before_ms, due_at_ms] if remind_before_ms > 0 else [due_at_ms]
    while len(times) < max_reminders:
        times.append(times[-1] + overdue_every_ms)
    return times[:max_reminders]
