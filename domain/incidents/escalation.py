"""Escalation policies: who is paged, in which order, and how long each level waits.

A policy is an ordered list of levels; each level names targets (users; schedules
resolved to whoever is on call when the level fires; teams, every member) and how long to wait for an
acknowledgement before moving on. After the last level the policy starts over from the
first, ``repeat`` more times (PagerDuty's "repeat this policy N times"), then stops.

The incident workflow replays this plan on every worker restart, so everything here is a
pure, deterministic function of the policy: step n always maps to the same level and
cycle, and deadlines are computed from a start time the caller passes in (the workflow's
own clock), never from the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from domain.errors import ValidationError

TARGET_KINDS = ("user", "schedule", "team")
MAX_REPEAT = 100
"""Bounds the number of steps, hence the workflow's history length."""


@dataclass(frozen=True, slots=True)
class Target:
    """Someone to notify: a user id, a schedule id resolved to whoever is on call, or a
    team id resolved to every member, both at notification time."""

    kind: str
    ref: str

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ValidationError(f"target kind must be one of {TARGET_KINDS}, not {self.kind!r}", field="kind")
        if not isinstance(self.ref, str) or not self.ref.strip():
            raise ValidationError("target ref must be a non-empty string", field="ref")

    @classmethod
    def user(cls, ref: str) -> "Target":
        return cls("user", ref)

    @classmethod
    def schedule(cls, ref: str) -> "Target":
        return cls("schedule", ref)

    @classmethod
    def team(cls, ref: str) -> "Target":
        return cls("team", ref)


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    targets: tuple[Target, ...]
    timeout_ms: int

    def __post_init__(self) -> None:
        targets = tuple(self.targets)
        if not targets:
            raise ValidationError("an escalation level needs at least one target", field="targets")
        for i, t in enumerate(targets):
            if not isinstance(t, Target):
                raise ValidationError("targets must be Target values", field=f"targets[{i}]")
        object.__setattr__(self, "targets", targets)
        if isinstance(self.timeout_ms, bool) or not isinstance(self.timeout_ms, int) or self.timeout_ms <= 0:
            raise ValidationError("timeout_ms must be a positive integer", field="timeout_ms")


class EscalationStep(NamedTuple):
    """Step n of a plan: which level fires, in which pass over the levels (0 = first)."""

    level_index: int
    cycle: int


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    id: str
    tenant: str
    name: str
    levels: tuple[EscalationLevel, ...]
    repeat: int = 0

    def __post_init__(self) -> None:
        for name in ("id", "tenant", "name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(f"{name} must be a non-empty string", field=name)
        levels = tuple(self.levels)
        if not levels:
            raise ValidationError("an escalation policy needs at least one level", field="levels")
        for i, level in enumerate(levels):
            if not isinstance(level, EscalationLevel):
                raise ValidationError("levels must be EscalationLevel values", field=f"levels[{i}]")
        object.__setattr__(self, "levels", levels)
        r = self.repeat
        if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r <= MAX_REPEAT:
            raise ValidationError(f"repeat must be an integer in 0..{MAX_REPEAT}", field="repeat")

    @property
    def total_steps(self) -> int:
        """How many notifications the policy sends at most: every level, repeat+1 times."""
        return len(self.levels) * (self.repeat + 1)

    def step_at(self, n: int) -> EscalationStep | None:
        """The n-th step (0-based), or None once the policy is exhausted."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValidationError("step must be a non-negative integer", field="step")
        if n >= self.total_steps:
            return None
        cycle, level_index = divmod(n, len(self.levels))
        return EscalationStep(level_index, cycle)

    def plan(self) -> tuple[EscalationStep, ...]:
        """Every step in order: ``plan()[n] == step_at(n)``."""
        return tuple(EscalationStep(i, c) for c in range(self.repeat + 1) for i in range(len(self.levels)))

    def level(self, level_index: int) -> EscalationLevel:
        if isinstance(level_index, bool) or not isinstance(level_index, int) or not 0 <= level_index < len(self.levels):
            raise ValidationError(f"level_index must be in 0..{len(self.levels) - 1}", field="level_index")
        return self.levels[level_index]

    def targets_at(self, n: int) -> tuple[Target, ...]:
        """Who step n notifies (empty once exhausted)."""
        step = self.step_at(n)
        return () if step is None else self.levels[step.level_index].targets

    def deadline_after(self, level_index: int, started_ms: int) -> int:
        """When a level that fired at ``started_ms`` gives up waiting for an acknowledgement."""
        return started_ms + self.level(level_index).timeout_ms

    def offset_ms(self, n: int) -> int:
        """How long after the incident opened step n fires if nobody acknowledges:
        the sum of the timeouts of the steps before it (``total_steps`` gives the instant
        the whole policy is exhausted)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= self.total_steps:
            raise ValidationError(f"step must be in 0..{self.total_steps}", field="step")
        cycle, rest = divmod(n, len(self.levels))
        per_cycle = sum(lv.timeout_ms for lv in self.levels)
        return cycle * per_cycle + sum(lv.timeout_ms for lv in self.levels[:rest])
