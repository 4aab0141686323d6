"""Ingest validation with the memory of known series: the same answers as without it.

``KnownSeries`` skips re-validating label sets seen before; these tests check that it
changes nothing a client can observe (accepted batches, and every error of a rejected
one), whatever the order of valid and invalid series, and that it stays bounded.
"""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given

from domain.errors import BatchRejected, DomainError
from domain.metrics.labels import LabelLimits
from services.ingest import IngestLimits, IngestService, KnownSeries, RawSeries

NOW = 1_800_000_000_000


class FixedClock:
    def now_ms(self) -> int:
        return NOW


def service(known: int, **limits) -> IngestService:
    return IngestService(None, FixedClock(), None, IngestLimits(known_series=known, **limits))  # type: ignore[arg-type]


names = st.sampled_from(["up", "http_requests_total", "bad name", "", "__name__"])
label_names = st.sampled_from(["job", "instance", "__reserved", "9bad", "a" * 40, "le"])
label_values = st.one_of(st.sampled_from(["", "x", "node", "v" * 70]), st.integers(0, 3), st.lists(st.integers(), max_size=1))
raw_series = st.builds(
    lambda name, labels, samples, kind: RawSeries(name, labels, samples, kind),
    names,
    st.dictionaries(label_names, label_values, max_size=3),
    st.lists(st.tuples(st.sampled_from([NOW, NOW - 1, NOW + 10**9, 1.5, True]),
                       st.sampled_from([1.0, 2, "NaN", None, float("inf")])).map(list), max_size=2),
    st.sampled_from(["gauge", "counter", "summary"]),
)


def outcome(svc: IngestService, tenant: str, raw: list[RawSeries], static: dict[str, str] | None):
    try:
        batch = svc.validate(tenant, raw, static)
    except BatchRejected as exc:
        return ("rejected", [(e.message, e.field) for e in exc.errors])
    except DomainError as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("ok", [(s.key, s.key.id, s.samples, s.kind) for s in batch.series])


@given(st.lists(st.tuples(st.sampled_from(["t1", "t2"]), st.lists(raw_series, max_size=4),
                          st.sampled_from([None, {"region": "eu"}, {"job": "override"}])), max_size=6))
def test_remembering_series_changes_no_answer(requests) -> None:
    limits = dict(labels=LabelLimits(max_labels=3, max_name_length=30, max_value_length=64))
    remembering, plain = service(known=4, **limits), service(known=0, **limits)
    for tenant, raw, static in requests:
        assert outcome(remembering, tenant, raw, static) == outcome(plain, tenant, raw, static)


def test_an_invalid_series_is_reported_every_time() -> None:
    svc = service(known=100)
    bad = RawSeries("up", {"__reserved": "x"}, [[NOW, 1.0]])
    for _ in range(2):
        assert outcome(svc, "t1", [bad], None)[0] == "rejected"


def test_the_memory_is_bounded_and_starts_over_when_full() -> None:
    known = KnownSeries(capacity=3)
    svc = service(known=0)
    for i in range(10):
        raw = RawSeries("up", {"instance": str(i)}, [[NOW, 1.0]])
        sig = known.signature("t1", raw, ())
        known.remember(sig, svc.validate("t1", [raw]).series[0].key)
        assert len(known._keys) <= 3
    assert known.get(known.signature("t1", RawSeries("up", {"instance": "9"}, []), ())) is not None
    assert known.get(known.signature("t1", RawSeries("up", {"instance": "0"}, []), ())) is None


def test_unhashable_labels_are_not_remembered_but_still_validated() -> None:
    raw = RawSeries("up", {"job": ["a"]}, [[NOW, 1.0]])  # type: ignore[dict-item]
    svc = service(known=10)
    assert svc._known.get(KnownSeries.signature("t1", raw, ())) is None
    for _ in range(2):
        assert outcome(svc, "t1", [raw], None)[0] == "rejected"
    assert svc._known._keys == {}


def test_a_static_label_overriding_an_unhashable_value_is_accepted_and_remembered() -> None:
    # Found by test_remembering_series_changes_no_answer (hypothesis): the client's list
    # value is replaced by the static label, so the series is valid, but a signature of
    # the labels as sent could not be a dictionary key and remembering it raised
    # TypeError. The signature is now of the labels validation sees: all strings.
    raw = RawSeries("up", {"job": [1]}, [[NOW, 1.0]])  # type: ignore[dict-item]
    svc = service(known=10)
    for _ in range(2):
        verdict = outcome(svc, "t1", [raw], {"job": "override"})
        assert verdict[0] == "ok"
        assert verdict == outcome(service(known=0), "t1", [raw], {"job": "override"})
    assert list(svc._known._keys) == [("t1", "up", (("job", "override"),))]
