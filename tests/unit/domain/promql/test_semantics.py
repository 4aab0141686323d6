"""Label rules, time arithmetic and topk's heap, as Prometheus 2.42 has them."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from domain.metrics.matchers import Matcher
from domain.metrics.query import Selector
from domain.promql.ast import Call, MatrixSelector, NumberLiteral, Subquery, VectorSelector, At, step_invariant
from domain.promql.goheap import select_k
from domain.promql.labels import absent_labels, grouping_key, match_signature, set_label
from domain.promql.timing import go_div, read_ranges, subquery_grid

X = VectorSelector(Selector("x"))


def test_signatures_ignore_the_metric_name_unless_on_names_it():
    ls = (("__name__", "x"), ("a", "1"), ("b", "2"))
    assert match_signature(ls, False, ()) == (("a", "1"), ("b", "2"))
    assert match_signature(ls, False, ("a",)) == (("b", "2"),)
    assert match_signature(ls, True, ("__name__", "b")) == (("__name__", "x"), ("b", "2"))
    assert grouping_key(ls, ("a",), without=True) == (("b", "2"),)
    assert grouping_key(ls, ("__name__",), without=False) == (("__name__", "x"),)


def test_setting_a_label_to_empty_removes_it():
    assert set_label((("a", "1"), ("c", "3")), "b", "2") == (("a", "1"), ("b", "2"), ("c", "3"))
    assert set_label((("a", "1"),), "a", "") == ()


def test_absent_keeps_only_labels_pinned_by_a_single_equality():
    matchers = [Matcher.of("job", "=", "x"), Matcher.of("env", "=~", "p.*"), Matcher.of("a", "=", "1"),
                Matcher.of("a", "=", "2"), Matcher.of("__name__", "=", "m")]
    assert absent_labels(matchers) == (("job", "x"),)


def test_subqueries_evaluate_at_multiples_of_their_step():
    sub = Subquery(X, range_ms=300_000, step_ms=60_000)
    grid = subquery_grid(1_000_030_000, 1_000_090_000, sub, 60_000)
    assert (grid.start_ms, grid.end_ms, grid.step_ms) == (999_780_000, 1_000_090_000, 60_000)
    assert subquery_grid(-90_000, 0, Subquery(X, 60_000, None), 60_000).start_ms == -120_000  # before the epoch too
    assert go_div(-7, 2) == -3 and go_div(7, -2) == -3 and go_div(7, 2) == 3


def test_read_ranges_cover_lookback_ranges_offsets_and_at():
    expr = Call("rate", (MatrixSelector(VectorSelector(Selector("x"), offset_ms=60_000), 300_000),))
    ranges = read_ranges(expr, 1_000_000, 2_000_000, query_start_ms=1_000_000, query_end_ms=2_000_000,
                         lookback_ms=300_000, default_step_ms=60_000)
    assert list(ranges.values()) == [(1_000_000 - 60_000 - 300_000, 2_000_000 - 60_000)]
    at = VectorSelector(Selector("y"), at=At(anchor="end"))
    assert read_ranges(at, 0, 10, query_start_ms=0, query_end_ms=10, lookback_ms=5, default_step_ms=1) == {at: (5, 10)}


def test_step_invariance_follows_prometheus():
    assert step_invariant(NumberLiteral(1.0))
    assert not step_invariant(X)
    assert step_invariant(VectorSelector(Selector("x"), at=At(timestamp_ms=5)))
    assert not step_invariant(Call("time", ()))
    assert not step_invariant(Call("timestamp", (VectorSelector(Selector("x"), at=At(timestamp_ms=5)),)))


@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=30, unique=True), st.integers(1, 40), st.booleans())
def test_without_ties_the_heap_keeps_the_k_largest_or_smallest(values, k, bottom):
    chosen = select_k(values, k, bottom)
    ranked = sorted(range(len(values)), key=lambda i: values[i], reverse=not bottom)
    assert sorted(chosen) == sorted(ranked[:k])


def test_ties_are_settled_by_the_heap_and_nan_goes_first():
    assert select_k([5.0, 5.0, 7.0], 2, bottom=False) == [1, 2]  # the heap evicts the first 5, not the second
    assert select_k([math.nan, 1.0], 1, bottom=False) == [1]
    assert select_k([1.0, 2.0], 0, bottom=False) == []
