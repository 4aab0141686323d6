"""Escalation policies, on-call schedules and contacts in memory, optionally loaded
from a JSON file (``OBSERVER_ONCALL_FILE``) for the embedded stack:

    {"policies":  [{"id": "default", "tenant": "default", "name": "Default", "repeat": 1,
                    "severities": ["SEV1", "SEV2"],   # optional: only for these
                    "levels": [{"timeout_ms": 900000,
                                "targets": [{"kind": "schedule", "ref": "primary"}]}]}],
     "schedules": [{"id": "primary", "tenant": "default", "name": "Primary", "timezone": "UTC",
                    "layers": [{"name": "main", "rotation": {"users": ["alice", "bob"],
                                "start_ms": 0, "handoff_time": "09:00", "length": "weekly"}}],
                    "overrides": []}],
     "contacts":  [{"tenant": "default", "user": "alice", "channel": "log", "target": {}}]}

A tenant without a policy (for the severity, or a catch-all one) has none: its incidents
page nobody and say so. There is no invented default: a made-up "admin" user would
page nobody while the incident claimed to escalate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from domain.incidents.escalation import EscalationPolicy
from domain.incidents.incident import Severity
from domain.incidents.oncall import Schedule
from ports.oncall import Contact
from services.escalation import policy_from_dict, schedule_from_dict
from services.oncall_config import OnCallSeed


class MemoryOnCallDirectory:
    def __init__(self) -> None:
        self._policies: dict[tuple[str, str | None], EscalationPolicy] = {}
        self._schedules: dict[tuple[str, str], Schedule] = {}
        self._contacts: dict[tuple[str, str], Contact] = {}
        self._teams: dict[tuple[str, str], list[str]] = {}

    def set_policy(self, policy: EscalationPolicy, severities: Sequence[str] = ()) -> None:
        for sev in severities or (None,):
            self._policies[(policy.tenant, None if sev is None else Severity.parse(sev).value)] = policy

    def add_schedule(self, schedule: Schedule) -> None:
        self._schedules[(schedule.tenant, schedule.id)] = schedule

    def set_contact(self, tenant: str, contact: Contact) -> None:
        self._contacts[(tenant, contact.user)] = contact

    async def policy_for(self, tenant: str, severity: str) -> EscalationPolicy | None:
        sev = Severity.parse(severity).value
        return self._policies.get((tenant, sev)) or self._policies.get((tenant, None))

    async def schedules(self, tenant: str, ids: Sequence[str]) -> list[Schedule]:
        return [self._schedules[(tenant, i)] for i in ids if (tenant, i) in self._schedules]

    async def contact(self, tenant: str, user: str) -> Contact | None:
        return self._contacts.get((tenant, user))

    def set_team(self, tenant: str, team_id: str, members: Sequence[str]) -> None:
        self._teams[(tenant, team_id)] = sorted(members)

    async def team_members(self, tenant: str, team_id: str) -> list[str] | None:
        found = self._teams.get((tenant, team_id))
        return None if found is None else list(found)

    @classmethod
    def from_file(cls, path: str | Path) -> "MemoryOnCallDirectory":
        data = json.loads(Path(path).read_text())
        directory = cls()
        for p in data.get("policies", []):
            directory.set_policy(policy_from_dict(p), p.get("severities", ()))
        for s in data.get("schedules", []):
            directory.add_schedule(schedule_from_dict(s))
        for c in data.get("contacts", []):
            directory.set_contact(c["tenant"], Contact(c["user"], c.get("channel", "log"), c.get("target", {})))
        return directory


def read_seeds(path: str | Path) -> dict[str, OnCallSeed]:
    """The file's policies and schedules per tenant, as documents for the one-time seed
    of the stored configuration (services/oncall_config.py). A policy's ``severities``
    stay in its document; ``contacts`` are not resources (``from_file`` keeps them)."""
    data = json.loads(Path(path).read_text())
    seeds: dict[str, dict[str, list]] = {}
    for kind in ("policies", "schedules"):
        for doc in data.get(kind, []):
            tenant = doc.get("tenant", "default") if isinstance(doc, dict) else "default"
            body = {k: v for k, v in doc.items() if k != "tenant"} if isinstance(doc, dict) else doc
            seeds.setdefault(tenant, {"policies": [], "schedules": []})[kind].append(body)
    return {t: OnCallSeed(tuple(s["policies"]), tuple(s["schedules"])) for t, s in seeds.items()}
