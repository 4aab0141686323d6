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
from domain.promql.timing import go_div, selector_ranges, subquery_grid

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


def test_selectors_read_what_prometheus_reads():
    x = MatrixSelector(VectorSelector(Selector("x"), offset_ms=60_000), 300_000)
    assert [r[1:] for r in selector_ranges(Call("rate", (x,)), 1_000_000, 2_000_000, lookback_ms=300_000)] == [
        (1_000_000 - 300_000 - 60_000, 2_000_000 - 60_000)]
    at_end = VectorSelector(Selector("y"), at=At(anchor="end"))
    assert [r[1:] for r in selector_ranges(at_end, 0, 10, lookback_ms=5)] == [(5, 10)]
    # Inside a subquery: its offset and range; an @ on the subquery replaces the query's times.
    sub = Subquery(VectorSelector(Selector("z")), range_ms=600, step_ms=100, offset_ms=50, at=At(timestamp_ms=5_000))
    assert [r[1:] for r in selector_ranges(sub, 0, 10, lookback_ms=7)] == [(5_000 - 50 - 600 - 7, 5_000 - 50)]
    # In an aggregation's parameter start()/end() are not resolved (Prometheus 2.42).
    from domain.promql.ast import Aggregate
    topk = Aggregate("topk", X, param=Call("scalar", (VectorSelector(Selector("k"), at=At(anchor="start")),)))
    assert [r[1:] for r in selector_ranges(topk, 100, 200, lookback_ms=7)] == [(93, 200), (93, 200)]


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
