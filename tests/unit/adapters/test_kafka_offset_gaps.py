"""adapters/kafka/gaps.py: a fetch that skipped an offset is handed out up to the hole
and fetched again from it, until the hole has waited long enough."""

from __future__ import annotations

from dataclasses import dataclass

import hypothesis.strategies as st
from hypothesis import given

from adapters.kafka.gaps import OffsetGaps


@dataclass
class Rec:
    offset: int


def recs(*offsets: int) -> list[Rec]:
    return [Rec(o) for o in offsets]


def test_contiguous_records_pass_and_a_hole_is_fetched_again_from_where_it_starts():
    now = [0.0]
    gaps = OffsetGaps("writer", max_wait_s=2.0, monotonic=lambda: now[0])
    assert gaps.contiguous("p0", recs(5, 6, 7)) == (recs(5, 6, 7), None)  # the first fetch sets the pace
    assert gaps.contiguous("p0", recs(8, 10, 11)) == (recs(8), 9)
    now[0] = 1.0
    assert gaps.contiguous("p0", recs(10, 11)) == ([], 9)  # still missing: again
    assert gaps.contiguous("p0", recs(9, 10, 11)) == (recs(9, 10, 11), None)
    assert gaps.contiguous("p0", recs(12)) == (recs(12), None)


def test_a_hole_older_than_the_wait_is_accepted_and_the_partition_goes_on():
    now = [0.0]
    gaps = OffsetGaps("writer", max_wait_s=2.0, monotonic=lambda: now[0])
    gaps.expect("p0", 3)
    assert gaps.contiguous("p0", recs(4, 5)) == ([], 3)
    now[0] = 2.5
    assert gaps.contiguous("p0", recs(4, 5)) == (recs(4, 5), None)
    assert gaps.contiguous("p0", recs(7)) == ([], 6)  # a new hole waits again


def test_partitions_are_independent_and_a_forgotten_one_starts_afresh():
    gaps = OffsetGaps("writer", monotonic=lambda: 0.0)
    gaps.expect("p0", 0)
    gaps.expect("p1", 100)
    assert gaps.contiguous("p1", recs(100)) == (recs(100), None)
    assert gaps.contiguous("p0", recs(1)) == ([], 0)
    gaps.forget("p0")
    assert gaps.contiguous("p0", recs(1)) == (recs(1), None)


@given(st.lists(st.integers(0, 60), unique=True, max_size=40), st.integers(1, 7))
def test_whatever_order_batches_show_up_in_every_offset_is_handed_out_once_in_order(arrival, fetch_size):
    """Offsets 0..n-1 become visible in any order; a consumer fetching from its position
    hands each offset out exactly once, in order, and never skips one."""
    n = len(arrival)
    gaps = OffsetGaps("writer", monotonic=lambda: 0.0)
    gaps.expect("p", 0)
    visible: set[int] = set()
    position, handed = 0, []
    for o in sorted(range(n), key=lambda k: arrival[k]) + [None]:
        if o is not None:
            visible.add(o)
        fetched = recs(*sorted(v for v in visible if v >= position)[:fetch_size])
        out, again = gaps.contiguous("p", fetched)
        handed += [r.offset for r in out]
        position = again if again is not None else (out[-1].offset + 1 if out else position)
    while position < n:  # everything is visible now: drain
        out, again = gaps.contiguous("p", recs(*range(position, min(n, position + fetch_size))))
        handed += [r.offset for r in out]
        position = out[-1].offset + 1
    assert handed == list(range(n))
