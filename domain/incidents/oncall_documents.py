"""Escalation policies and on-call schedules as documents: the JSON shape the API, the
CLI, the seed file and the store share, parsed into the domain's values.

A parser takes untrusted JSON and either builds the whole value or raises one
``ValidationError`` naming the field by its path (``layers[0].rotation.users[1]``), so a
client learns exactly what to fix. ``*_document`` writes a value back in the same shape,
and parsing what it wrote gives the same value (the tests hold it to that).

Policy document::

    {"id": "web", "name": "Web", "description": "", "severities": ["SEV1", "SEV2"],
     "repeat": 1, "levels": [{"timeout_ms": 900000,
                              "targets": [{"kind": "schedule", "ref": "primary"}]}]}

``severities`` empty means the policy is the tenant's catch-all. Schedule document::

    {"id": "primary", "name": "Primary", "timezone": "Europe/Berlin", "description": "",
     "layers": [{"name": "main", "rotation": {"users": ["alice", "bob"], "start_ms": 0,
                 "handoff_time": "09:00", "timezone": "Europe/Berlin", "length": "weekly"},
                 "restrictions": [{"start_day": 0, "start_time": "08:00",
                                   "end_day": 0, "end_time": "18:00"}]}],
     "overrides": [{"id": "ovr-1", "user": "carol", "start_ms": 0, "end_ms": 3600000}]}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.errors import ValidationError
from domain.incidents.escalation import EscalationLevel, EscalationPolicy, Target
from domain.incidents.incident import Severity
from domain.incidents.oncall import Layer, Override, Restriction, Rotation, Schedule

T = TypeVar("T")
RESOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
MAX_LAYERS = 20
MAX_OVERRIDES = 1000
MAX_LEVELS = 20
MAX_TARGETS = 50
MAX_USERS = 200
MAX_RESTRICTIONS = 50


# ------------------------------------------------------------------- reading JSON


def _object(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"{field or 'the document'} must be an object", field=field or None)
    return value


def _known(doc: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(doc) - allowed)
    if extra:
        raise ValidationError(f"unknown field {extra[0]!r} (allowed: {', '.join(sorted(allowed))})",
                              field=f"{where}.{extra[0]}" if where else extra[0])


def _items(value: object, field: str, limit: int, parse: Callable[[Any, str], T]) -> tuple[T, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValidationError(f"{field} must be a list", field=field)
    if len(value) > limit:
        raise ValidationError(f"{field} holds at most {limit} entries", field=field)
    return tuple(parse(item, f"{field}[{i}]") for i, item in enumerate(value))


def _build(field: str, make: Callable[[], T]) -> T:
    """Construct a domain value, naming the field path of whatever it refuses."""
    try:
        return make()
    except ValidationError as e:
        raise e.at(field) if field else e
    except TypeError as e:  # a value of the wrong type the constructor could not even compare
        raise ValidationError(f"{field or 'the document'} has a value of the wrong type ({e})", field=field or None) from None


def _text(doc: Mapping[str, Any], name: str, where: str, default: str | None = None, max_len: int = 500) -> str:
    value = doc.get(name, default)
    field = f"{where}.{name}" if where else name
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ValidationError(f"{name} must be a {'non-empty ' if default is None else ''}string", field=field)
    if len(value) > max_len:
        raise ValidationError(f"{name} is at most {max_len} characters", field=field)
    return value


def resource_id(value: object, field: str = "id") -> str:
    if not isinstance(value, str) or RESOURCE_ID.fullmatch(value) is None:
        raise ValidationError("an id is 1-200 letters, digits, '_', '.' or '-', starting with a letter or digit",
                              field=field)
    return value


# ------------------------------------------------------------------------ policies


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A stored escalation policy: the domain policy plus what selects it (the incident
    severities it applies to; none means every severity) and a description."""

    policy: EscalationPolicy
    severities: tuple[str, ...] = ()
    description: str = ""

    @property
    def id(self) -> str:
        return self.policy.id

    def applies_to(self, severity: str) -> bool:
        return not self.severities or Severity.parse(severity).value in self.severities


def _target(value: object, field: str) -> Target:
    doc = _object(value, field)
    _known(doc, {"kind", "ref"}, field)
    return _build(field, lambda: Target(doc.get("kind"), doc.get("ref")))  # type: ignore[arg-type]


def _level(value: object, field: str) -> EscalationLevel:
    doc = _object(value, field)
    _known(doc, {"timeout_ms", "targets"}, field)
    targets = _items(doc.get("targets"), f"{field}.targets", MAX_TARGETS, _target)
    return _build(field, lambda: EscalationLevel(targets, doc.get("timeout_ms")))  # type: ignore[arg-type]


def _severity(value: object, field: str) -> str:
    try:
        return Severity.parse(value).value  # type: ignore[arg-type]
    except ValidationError as e:
        raise e.renamed(field) from None


def parse_policy(tenant: str, value: object) -> PolicyDocument:
    doc = _object(value, "")
    _known(doc, {"id", "name", "description", "severities", "repeat", "levels"}, "")
    policy_id = resource_id(doc.get("id"))
    name = _text(doc, "name", "", default=policy_id)
    description = _text(doc, "description", "", default="", max_len=4000)
    severities = _items(doc.get("severities", []), "severities", 10, _severity)
    levels = _items(doc.get("levels"), "levels", MAX_LEVELS, _level)
    policy = _build("", lambda: EscalationPolicy(policy_id, tenant, name or policy_id, levels, doc.get("repeat", 0)))
    return PolicyDocument(policy, tuple(sorted(set(severities))), description)


def policy_document(p: PolicyDocument) -> dict[str, Any]:
    return {"id": p.policy.id, "name": p.policy.name, "description": p.description,
            "severities": list(p.severities), "repeat": p.policy.repeat,
            "levels": [{"timeout_ms": lv.timeout_ms, "targets": [{"kind": t.kind, "ref": t.ref} for t in lv.targets]}
                       for lv in p.policy.levels]}


# ----------------------------------------------------------------------- schedules


@dataclass(frozen=True, slots=True)
class ScheduleDocument:
    """A stored schedule: the domain schedule, each override's id (in the schedule's
    order: overrides are deleted by id) and a description."""

    schedule: Schedule
    override_ids: tuple[str, ...] = ()
    description: str = ""

    @property
    def id(self) -> str:
        return self.schedule.id

    def with_override(self, override_id: str, override: Override) -> "ScheduleDocument":
        if override_id in self.override_ids:
            raise ValidationError(f"the schedule has an override {override_id!r} already", field="id")
        if len(self.override_ids) >= MAX_OVERRIDES:
            raise ValidationError(f"a schedule holds at most {MAX_OVERRIDES} overrides; delete past ones",
                                  field="overrides")
        s = self.schedule
        schedule = Schedule(s.id, s.tenant, s.name, s.timezone, s.layers, s.overrides + (override,))
        return ScheduleDocument(schedule, self.override_ids + (override_id,), self.description)

    def without_override(self, override_id: str) -> "ScheduleDocument | None":
        """The document without that override; None if it has none by that id."""
        if override_id not in self.override_ids:
            return None
        keep = [i for i, oid in enumerate(self.override_ids) if oid != override_id]
        s = self.schedule
        schedule = Schedule(s.id, s.tenant, s.name, s.timezone, s.layers, tuple(s.overrides[i] for i in keep))
        return ScheduleDocument(schedule, tuple(self.override_ids[i] for i in keep), self.description)

    def overrides(self) -> list[tuple[str, Override]]:
        return list(zip(self.override_ids, self.schedule.overrides))


def _rotation(value: object, field: str) -> Rotation:
    doc = _object(value, field)
    _known(doc, {"users", "start_ms", "handoff_time", "timezone", "length"}, field)
    users = _items(doc.get("users"), f"{field}.users", MAX_USERS, lambda u, f: _build(f, lambda: _user(u)))
    return _build(field, lambda: Rotation(users, doc.get("start_ms"), doc.get("handoff_time", "09:00"),  # type: ignore[arg-type]
                                          doc.get("timezone", "UTC"), doc.get("length", "weekly")))


def _user(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise ValidationError("a participant is a user id (a non-empty string)")
    return value


def _restriction(value: object, field: str) -> Restriction:
    doc = _object(value, field)
    _known(doc, {"start_day", "start_time", "end_day", "end_time"}, field)
    return _build(field, lambda: Restriction(doc.get("start_day"), doc.get("start_time"),  # type: ignore[arg-type]
                                             doc.get("end_day"), doc.get("end_time")))


def _layer(value: object, field: str) -> Layer:
    doc = _object(value, field)
    _known(doc, {"name", "rotation", "restrictions"}, field)
    rotation = _rotation(doc.get("rotation"), f"{field}.rotation")
    restrictions = _items(doc.get("restrictions", []), f"{field}.restrictions", MAX_RESTRICTIONS, _restriction)
    return _build(field, lambda: Layer(doc.get("name"), rotation, restrictions))  # type: ignore[arg-type]


def parse_override(value: object, field: str = "") -> tuple[str, Override]:
    """One override ``{"id"?, "user", "start_ms", "end_ms"}``; the id is "" when absent
    (the caller assigns one)."""
    doc = _object(value, field)
    _known(doc, {"id", "user", "start_ms", "end_ms"}, field)
    prefix = f"{field}." if field else ""
    override_id = "" if doc.get("id") in (None, "") else resource_id(doc.get("id"), f"{prefix}id")
    override = _build(field, lambda: Override(_build("user", lambda: _user(doc.get("user"))),
                                              doc.get("start_ms"), doc.get("end_ms")))  # type: ignore[arg-type]
    return override_id, override


def parse_schedule(tenant: str, value: object) -> ScheduleDocument:
    doc = _object(value, "")
    _known(doc, {"id", "name", "description", "timezone", "layers", "overrides"}, "")
    schedule_id = resource_id(doc.get("id"))
    name = _text(doc, "name", "", default=schedule_id)
    description = _text(doc, "description", "", default="", max_len=4000)
    layers = _items(doc.get("layers", []), "layers", MAX_LAYERS, _layer)
    parsed = _items(doc.get("overrides", []), "overrides", MAX_OVERRIDES, parse_override)
    ids, seen = [], set()
    for i, (oid, _) in enumerate(parsed):
        oid = oid or f"ovr-{i + 1}"
        if oid in seen:
            raise ValidationError(f"override id {oid!r} is used twice", field=f"overrides[{i}].id")
        seen.add(oid)
        ids.append(oid)
    schedule = _build("", lambda: Schedule(schedule_id, tenant, name or schedule_id, doc.get("timezone", "UTC"),
                                           layers, tuple(o for _, o in parsed)))
    return ScheduleDocument(schedule, tuple(ids), description)


def schedule_document(d: ScheduleDocument) -> dict[str, Any]:
    s = d.schedule
    return {
        "id": s.id, "name": s.name, "description": d.description, "timezone": s.timezone,
        "layers": [{"name": ly.name,
                    "rotation": {"users": list(ly.rotation.users), "start_ms": ly.rotation.start_ms,
                                 "handoff_time": ly.rotation.handoff_time, "timezone": ly.rotation.timezone,
                                 "length": ly.rotation.length},
                    "restrictions": [{"start_day": r.start_day, "start_time": r.start_time, "end_day": r.end_day,
                                      "end_time": r.end_time} for r in ly.restrictions]}
                   for ly in s.layers],
        "overrides": [{"id": oid, "user": o.user, "start_ms": o.start_ms, "end_ms": o.end_ms}
                      for oid, o in d.overrides()],
    }
