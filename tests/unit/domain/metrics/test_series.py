"""Series identity: stable 64-bit ids and shards."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.series import SeriesKey, series_id

from .strategies import label_sets, metric_names

KNOWN = SeriesKey.of("acme", "cpu_usage", {"host": "a", "mode": "user"})


def test_id_is_stable_across_processes_and_releases() -> None:
    # Computed once and pinned: ids are stored, so they must never change.
    assert KNOWN.id == 5369853716765696714
    assert series_id("acme", "cpu_usage", LabelSet.of({"mode": "user", "host": "a"})) == KNOWN.id


def test_id_differs_by_tenant_name_and_labels() -> None:
    ids = {
        KNOWN.id,
        SeriesKey.of("other", "cpu_usage", {"host": "a", "mode": "user"}).id,
        SeriesKey.of("acme", "cpu_usage2", {"host": "a", "mode": "user"}).id,
        SeriesKey.of("acme", "cpu_usage", {"host": "b", "mode": "user"}).id,
        SeriesKey.of("acme", "cpu_usage", {"host": "a"}).id,
        SeriesKey.of("acme", "cpu_usage", None).id,
    }
    assert len(ids) == 6


def test_key_validates_name_and_labels() -> None:
    with pytest.raises(ValidationError) as info:
        SeriesKey.of("acme", "bad name", {})
    assert info.value.field == "name"
    with pytest.raises(ValidationError):
        SeriesKey.of("acme", "ok", {"bad-label": "x"})
    assert str(KNOWN) == 'cpu_usage{host="a", mode="user"}'


@given(st.text(max_size=10), metric_names, label_sets)
def test_id_fits_signed_int64_and_is_deterministic(tenant: str, name: str, labels: LabelSet) -> None:
    key = SeriesKey(tenant, name, labels)
    assert -(2**63) <= key.id < 2**63
    assert key.id == SeriesKey(tenant, name, LabelSet.of(labels.as_dict())).id


@given(st.text(max_size=10), metric_names, label_sets, st.integers(1, 1024))
def test_shard_in_range(tenant: str, name: str, labels: LabelSet, shards: int) -> None:
    shard = SeriesKey(tenant, name, labels).shard(shards)
    assert 0 <= shard < shards


def test_shard_refuses_nonpositive_counts() -> None:
    with pytest.raises(ValidationError) as info:
        KNOWN.shard(0)
    assert info.value.field == "shards"
