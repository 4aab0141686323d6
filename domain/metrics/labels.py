"""Label sets: validated, canonically ordered, hashable.

Names follow Prometheus' data model so anything we accept can be exported to it:
metric names ``[a-zA-Z_:][a-zA-Z0-9_:]*``, label names ``[a-zA-Z_][a-zA-Z0-9_]*``;
names beginning with ``__`` are reserved for the system. Values are any UTF-8 string;
an empty value means "label absent" (Prometheus semantics), so it is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from domain.errors import LimitExceeded, ValidationError

# \Z, not $: "$" also matches before a trailing newline, which let "job\n" through.
METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")

_CANONICAL_ESCAPES = str.maketrans({"\xfd": "\xfd0", "\xfe": "\xfd1", "\xff": "\xfd2"})


@dataclass(frozen=True, slots=True)
class LabelLimits:
    """Per-series limits; exceeding one is a 422 naming the limit."""

    max_labels: int = 30
    max_name_length: int = 128
    max_value_length: int = 1024
    max_metric_name_length: int = 256


DEFAULT_LIMITS = LabelLimits()


def validate_metric_name(name: str, limits: LabelLimits = DEFAULT_LIMITS, *, field: str = "name") -> str:
    if not isinstance(name, str) or not METRIC_NAME_RE.fullmatch(name):
        raise ValidationError(
            f"invalid metric name {name!r}: must match [a-zA-Z_:][a-zA-Z0-9_:]*", field=field
        )
    if len(name) > limits.max_metric_name_length:
        raise LimitExceeded(
            f"metric name is {len(name)} characters, over the limit of {limits.max_metric_name_length}",
            field=field,
            limit="max_metric_name_length",
            value=limits.max_metric_name_length,
        )
    return name


class LabelSet:
    """An immutable set of label pairs, sorted by name.

    Equality and hashing use the canonical pair tuple, so ``{"a":"1","b":"2"}`` and
    ``{"b":"2","a":"1"}`` are the same label set.
    """

    __slots__ = ("_pairs", "_hash")

    def __init__(self, pairs: tuple[tuple[str, str], ...] = ()) -> None:
        # Trusted constructor: callers outside this module use ``of`` (validates).
        self._pairs = pairs
        self._hash = hash(pairs)

    @classmethod
    def of(
        cls,
        labels: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        limits: LabelLimits = DEFAULT_LIMITS,
        *,
        allow_reserved: bool = False,
    ) -> "LabelSet":
        if labels is None:
            return EMPTY
        items = list(labels.items()) if isinstance(labels, Mapping) else list(labels)
        seen: dict[str, str] = {}
        for name, value in items:
            if not isinstance(name, str) or not LABEL_NAME_RE.fullmatch(name):
                raise ValidationError(
                    f"invalid label name {name!r}: must match [a-zA-Z_][a-zA-Z0-9_]*",
                    field=f"labels.{name}",
                )
            if name.startswith("__") and not allow_reserved:
                raise ValidationError(
                    f"label name {name!r} is reserved (names beginning with '__')", field=f"labels.{name}"
                )
            if not isinstance(value, str):
                raise ValidationError(
                    f"label {name!r} must have a string value, got {type(value).__name__}",
                    field=f"labels.{name}",
                )
            if len(name) > limits.max_name_length:
                raise LimitExceeded(
                    f"label name is {len(name)} characters, over the limit of {limits.max_name_length}",
                    field=f"labels.{name}",
                    limit="max_name_length",
                    value=limits.max_name_length,
                )
            if len(value) > limits.max_value_length:
                raise LimitExceeded(
                    f"label {name!r} value is {len(value)} characters, over the limit of {limits.max_value_length}",
                    field=f"labels.{name}",
                    limit="max_value_length",
                    value=limits.max_value_length,
                )
            if name in seen:
                raise ValidationError(f"label {name!r} given twice", field=f"labels.{name}")
            seen[name] = value
        pairs = tuple(sorted((n, v) for n, v in seen.items() if v != ""))
        if len(pairs) > limits.max_labels:
            raise LimitExceeded(
                f"series has {len(pairs)} labels, over the limit of {limits.max_labels}",
                field="labels",
                limit="max_labels",
                value=limits.max_labels,
            )
        return cls(pairs)

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return self._pairs

    def get(self, name: str, default: str = "") -> str:
        for n, v in self._pairs:
            if n == name:
                return v
        return default

    def __contains__(self, name: object) -> bool:
        return any(n == name for n, _ in self._pairs)

    def as_dict(self) -> dict[str, str]:
        return dict(self._pairs)

    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self._pairs)

    def only(self, names: Iterable[str]) -> "LabelSet":
        keep = set(names)
        return LabelSet(tuple(p for p in self._pairs if p[0] in keep))

    def without(self, names: Iterable[str]) -> "LabelSet":
        drop = set(names)
        return LabelSet(tuple(p for p in self._pairs if p[0] not in drop))

    def merged(self, other: Mapping[str, str] | "LabelSet") -> "LabelSet":
        """Labels of ``other`` override ours (used for enrichment and rule labels)."""
        merged = self.as_dict()
        merged.update(other.as_dict() if isinstance(other, LabelSet) else other)
        return LabelSet(tuple(sorted((n, v) for n, v in merged.items() if v != "")))

    def canonical(self) -> str:
        """A stable, injective text form, used for hashing into ids and fingerprints.

        Pairs are joined with U+00FF and name/value with U+00FE. Those are ordinary
        characters in a Python string (unlike the 0xFF byte Prometheus uses), so a
        value holding them could forge a separator: ``{a="1<FF>b<FE>2"}`` would collide
        with ``{a="1", b="2"}``. Names are ASCII; values escape U+00FD..U+00FF as U+00FD plus a
        digit, so every other value (nearly all real ones) is unchanged.
        """
        return "\xff".join(f"{n}\xfe{v.translate(_CANONICAL_ESCAPES)}" for n, v in self._pairs)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelSet) and self._pairs == other._pairs

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        inner = ", ".join(f'{n}="{v}"' for n, v in self._pairs)
        return "{" + inner + "}"


EMPTY = LabelSet(())
