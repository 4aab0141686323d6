"""Inhibition with Alertmanager's semantics: equal labels (missing equals empty) and
no self-inhibition for alerts matching both sides of a rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.alerts.inhibition import InhibitedBy, InhibitRule, Inhibitor
from domain.errors import ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher


def L(**labels: str) -> LabelSet:
    return LabelSet.of(labels)


CRIT_MUTES_WARN = InhibitRule(
    (Matcher.of("severity", "=", "critical"),),
    (Matcher.of("severity", "=", "warning"),),
    ("alertname", "cluster"),
)


def test_alertmanager_docs_example_critical_mutes_warning_of_same_alert():
    inh = Inhibitor([CRIT_MUTES_WARN])
    warn = L(alertname="DiskFull", cluster="a", severity="warning")
    crit = L(alertname="DiskFull", cluster="a", severity="critical")
    assert inh.is_inhibited(warn, [crit]) == InhibitedBy(0, CRIT_MUTES_WARN, crit)
    assert inh.is_inhibited(crit, [warn]) is None  # the other way round is not a target
    assert inh.is_inhibited(warn, []) is None  # no firing source (resolved ones are not passed)


@pytest.mark.parametrize(
    "source, expected",
    [
        (L(alertname="DiskFull", cluster="b", severity="critical"), False),  # different cluster
        (L(alertname="CpuHot", cluster="a", severity="critical"), False),  # different alertname
        (L(alertname="DiskFull", severity="critical"), False),  # cluster missing on source only
    ],
)
def test_equal_labels_must_match(source, expected):
    target = L(alertname="DiskFull", cluster="a", severity="warning")
    assert (Inhibitor([CRIT_MUTES_WARN]).is_inhibited(target, [source]) is not None) is expected


def test_label_missing_on_both_sides_counts_as_equal():
    target = L(alertname="DiskFull", severity="warning")
    source = L(alertname="DiskFull", severity="critical")
    assert Inhibitor([CRIT_MUTES_WARN]).is_inhibited(target, [source]) is not None


def test_empty_equal_means_any_source_inhibits():
    rule = InhibitRule((Matcher.of("alertname", "=", "ClusterDown"),), (Matcher.of("team", "=", "infra"),))
    assert Inhibitor([rule]).is_inhibited(L(alertname="X", team="infra"), [L(alertname="ClusterDown")])


def test_an_alert_matching_both_sides_does_not_inhibit_itself_nor_its_peers():
    rule = InhibitRule(
        (Matcher.of("team", "=", "db"),),
        (Matcher.of("team", "=", "db"), Matcher.of("severity", "=", "warning")),
        ("cluster",),
    )
    inh = Inhibitor([rule])
    target = L(team="db", severity="warning", cluster="a", instance="1")
    peer = L(team="db", severity="warning", cluster="a", instance="2")
    other = L(team="db", severity="critical", cluster="a")
    assert inh.is_inhibited(target, [target]) is None
    assert inh.is_inhibited(target, [target, peer]) is None  # peers match the target side too
    assert inh.is_inhibited(target, [target, peer, other]) == InhibitedBy(0, rule, other)


def test_first_inhibiting_rule_wins():
    first = InhibitRule((Matcher.of("a", "=", "1"),), (Matcher.of("t", "=", "x"),))
    second = InhibitRule((Matcher.of("b", "=", "1"),), (Matcher.of("t", "=", "x"),))
    found = Inhibitor([first, second]).is_inhibited(L(t="x"), [L(b="1"), L(a="1")])
    assert found is not None and found.rule_index == 0 and found.source_labels == L(a="1")


def test_equal_names_are_validated():
    with pytest.raises(ValidationError):
        InhibitRule((), (), ("bad-name",))


LABEL = st.sampled_from(["a", "b", "c"])
VALUE = st.sampled_from(["", "1", "2"])
LABELSETS = st.dictionaries(LABEL, VALUE).map(LabelSet.of)
MATCHERS = st.lists(
    st.builds(Matcher.of, LABEL, st.sampled_from(["=", "!=", "=~", "!~"]), st.sampled_from(["", "1", "2", "1|2", ".*"])),
    max_size=2,
).map(tuple)


@given(MATCHERS, MATCHERS, st.lists(LABEL, max_size=2).map(tuple), LABELSETS)
def test_no_alert_ever_inhibits_itself(source, target, equal, labels):
    assert Inhibitor([InhibitRule(source, target, equal)]).is_inhibited(labels, [labels]) is None


@given(MATCHERS, MATCHERS, st.lists(LABEL, max_size=2).map(tuple), LABELSETS, st.lists(LABELSETS, max_size=4))
def test_inhibition_implies_the_rule_holds(source, target, equal, labels, sources):
    rule = InhibitRule(source, target, equal)
    found = Inhibitor([rule]).is_inhibited(labels, sources)
    if found is not None:
        s = found.source_labels
        assert s in sources and rule.is_target(labels) and rule.is_source(s)
        assert all(s.get(n) == labels.get(n) for n in equal)
