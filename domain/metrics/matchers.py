"""Label matchers (=, !=, =~, !~) with Prometheus semantics.

Regexes are fully anchored (``=~"a|b"`` matches "a" or "b", never "abc"); ``.``
matches newlines too, as in Prometheus 3. A missing label matches as the empty string,
so ``{env!="prod"}`` matches series without an ``env`` label and ``{env=""}`` selects
them. Regexes are RE2's (``domain.regex``, docs/adr/0011-re2.md): the syntax
Prometheus accepts, matched in linear time; what RE2 refuses (backreferences,
lookaround) is a ``ValidationError`` naming the matcher.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.errors import ValidationError
from domain.metrics.labels import LABEL_NAME_RE, LabelSet
from domain.metrics.syntax import Scanner, quote
from domain.regex import UserRegex

METRIC_NAME_LABEL = "__name__"


class MatchOp(str, enum.Enum):
    EQ = "="
    NEQ = "!="
    RE = "=~"
    NRE = "!~"


def _compile(name: str, value: str) -> UserRegex:
    # The pattern is compiled on its own and run fully anchored: wrapping it as
    # "(?:value)$" would let a value such as "a)|(?:b" escape the anchoring.
    return UserRegex(value, field=f"matchers.{name}")


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: MatchOp
    value: str
    _regex: UserRegex | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Direct construction (not through ``of``) still gets a usable regex.
        if self._regex is None and self.op in (MatchOp.RE, MatchOp.NRE):
            object.__setattr__(self, "_regex", _compile(self.name, self.value))

    @classmethod
    def of(cls, name: str, op: MatchOp | str, value: str) -> "Matcher":
        if not isinstance(name, str) or not LABEL_NAME_RE.fullmatch(name):
            raise ValidationError(f"invalid label name {name!r} in matcher", field=f"matchers.{name}")
        try:
            op = MatchOp(op)
        except ValueError:
            raise ValidationError(f"unknown match operator {op!r}; use =, !=, =~ or !~", field=f"matchers.{name}") from None
        if not isinstance(value, str):
            raise ValidationError(f"matcher value must be a string, got {type(value).__name__}", field=f"matchers.{name}")
        regex = _compile(name, value) if op in (MatchOp.RE, MatchOp.NRE) else None
        return cls(name, op, value, regex)

    def matches_value(self, value: str) -> bool:
        if self.op is MatchOp.EQ:
            return value == self.value
        if self.op is MatchOp.NEQ:
            return value != self.value
        assert self._regex is not None
        hit = self._regex.fullmatch(value)
        return hit if self.op is MatchOp.RE else not hit

    def matches(self, labels: LabelSet) -> bool:
        return self.matches_value(labels.get(self.name))

    def __str__(self) -> str:
        return f"{self.name}{self.op.value}{quote(self.value)}"


def matches_all(matchers: Iterable[Matcher], labels: LabelSet) -> bool:
    return all(m.matches(labels) for m in matchers)


def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """Parse ``a="1", b=~"x.*"`` (without braces) into matchers.

    PromQL string quoting applies (see ``domain.metrics.syntax``); errors carry
    ``field="matchers"`` and the position where parsing failed.
    """
    scanner = Scanner(text, field="matchers")
    out: list[Matcher] = []
    for raw in scanner.matcher_list(closing=None):
        try:
            out.append(Matcher.of(raw.name, raw.op, raw.value))
        except ValidationError as exc:
            raise scanner.error(exc.message, raw.pos) from None
    return tuple(out)
