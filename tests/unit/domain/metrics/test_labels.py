"""LabelSet: canonical order, validation with field names, limits, empty values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import LimitExceeded, ValidationError
from domain.metrics.labels import EMPTY, LabelLimits, LabelSet, validate_metric_name

from .strategies import label_dicts


def test_order_does_not_matter_for_equality_hash_and_iteration() -> None:
    a = LabelSet.of({"b": "2", "a": "1"})
    b = LabelSet.of([("a", "1"), ("b", "2")])
    assert a == b and hash(a) == hash(b)
    assert a.pairs == (("a", "1"), ("b", "2"))
    assert list(a) == [("a", "1"), ("b", "2")]
    assert repr(a) == '{a="1", b="2"}'
    assert {a: 1}[b] == 1


def test_different_values_or_names_are_different_sets() -> None:
    assert LabelSet.of({"a": "1"}) != LabelSet.of({"a": "2"})
    assert LabelSet.of({"a": "1"}) != LabelSet.of({"b": "1"})
    assert LabelSet.of({"a": "1"}) != {"a": "1"}


def test_empty_values_are_dropped_as_absent_labels() -> None:
    ls = LabelSet.of({"a": "1", "b": ""})
    assert ls == LabelSet.of({"a": "1"})
    assert "b" not in ls and ls.get("b") == "" and ls.get("b", "x") == "x"
    assert LabelSet.of({"a": ""}) == EMPTY
    assert LabelSet.of(None) is EMPTY


@pytest.mark.parametrize(
    ("labels", "field"),
    [
        ({"1a": "x"}, "labels.1a"),
        ({"a-b": "x"}, "labels.a-b"),
        ({"__name__": "x"}, "labels.__name__"),
        ({"a": 1}, "labels.a"),
        ([("a", "1"), ("a", "2")], "labels.a"),
    ],
)
def test_invalid_labels_name_the_field(labels: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        LabelSet.of(labels)  # type: ignore[arg-type]
    assert info.value.field == field


def test_reserved_names_allowed_when_asked() -> None:
    assert LabelSet.of({"__name__": "x"}, allow_reserved=True).get("__name__") == "x"


@pytest.mark.parametrize(
    ("labels", "limits", "limit"),
    [
        ({f"l{i}": "v" for i in range(4)}, LabelLimits(max_labels=3), "max_labels"),
        ({"a" * 11: "v"}, LabelLimits(max_name_length=10), "max_name_length"),
        ({"a": "v" * 11}, LabelLimits(max_value_length=10), "max_value_length"),
    ],
)
def test_limits_raise_limit_exceeded_naming_the_limit(labels: dict[str, str], limits: LabelLimits, limit: str) -> None:
    with pytest.raises(LimitExceeded) as info:
        LabelSet.of(labels, limits)
    assert info.value.limit == limit
    assert info.value.field is not None and info.value.field.startswith("labels")


def test_limits_at_the_boundary_pass() -> None:
    limits = LabelLimits(max_labels=3, max_name_length=10, max_value_length=10)
    assert len(LabelSet.of({f"l{i}": "v" * 10 for i in range(3)}, limits)) == 3
    # Empty values do not count towards max_labels: they are not labels.
    assert len(LabelSet.of({"a": "1", "b": "", "c": "", "d": ""}, LabelLimits(max_labels=1))) == 1


def test_limit_exceeded_at_keeps_the_limit() -> None:
    err = LimitExceeded("too many", field="labels", limit="max_labels", value=3).at("series[2]")
    assert (err.field, err.limit, err.value) == ("series[2].labels", "max_labels", 3)


def test_metric_name_validation() -> None:
    assert validate_metric_name("http_requests:rate5m") == "http_requests:rate5m"
    with pytest.raises(ValidationError) as info:
        validate_metric_name("9lives", field="metric")
    assert info.value.field == "metric"
    with pytest.raises(LimitExceeded) as too_long:
        validate_metric_name("a" * 11, LabelLimits(max_metric_name_length=10))
    assert too_long.value.limit == "max_metric_name_length"


def test_only_without_merged() -> None:
    ls = LabelSet.of({"a": "1", "b": "2", "c": "3"})
    assert ls.only(["a", "c", "z"]) == LabelSet.of({"a": "1", "c": "3"})
    assert ls.without(["a"]) == LabelSet.of({"b": "2", "c": "3"})
    assert ls.merged({"a": "9", "b": "", "d": "4"}) == LabelSet.of({"a": "9", "c": "3", "d": "4"})
    assert ls.names() == ("a", "b", "c")


def test_canonical_cannot_be_forged_by_separator_characters_in_values() -> None:
    forged = LabelSet.of({"a": "1\xffb\xfe2"})
    honest = LabelSet.of({"a": "1", "b": "2"})
    assert forged.canonical() != honest.canonical()
    assert LabelSet.of({"a": "\xfd"}).canonical() != LabelSet.of({"a": "\xfd0"}).canonical()
    # Ordinary values keep the plain form.
    assert honest.canonical() == "a\xfe1\xffb\xfe2"


@given(label_dicts)
def test_of_round_trips_as_dict_minus_empty_values(labels: dict[str, str]) -> None:
    ls = LabelSet.of(labels)
    assert ls.as_dict() == {k: v for k, v in labels.items() if v != ""}
    assert list(ls.names()) == sorted(ls.names())


@given(label_dicts, st.randoms(use_true_random=False))
def test_of_is_order_independent(labels: dict[str, str], rnd: object) -> None:
    items = list(labels.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    a, b = LabelSet.of(labels), LabelSet.of(items)
    assert a == b and hash(a) == hash(b) and a.canonical() == b.canonical()


@given(label_dicts, label_dicts)
def test_canonical_is_injective(a: dict[str, str], b: dict[str, str]) -> None:
    la, lb = LabelSet.of(a), LabelSet.of(b)
    assert (la.canonical() == lb.canonical()) == (la == lb)
