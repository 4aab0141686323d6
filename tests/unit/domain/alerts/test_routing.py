"""The routing tree, on the example of Alertmanager's configuration docs plus
``continue`` and inheritance cases."""

from __future__ import annotations

import pytest

from domain.alerts.grouping import GroupTiming, group_key
from domain.alerts.routing import Receiver, Route
from domain.errors import ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import parse_matchers

ROOT_TIMING = GroupTiming(30_000, 300_000, 14_400_000)

# Alertmanager docs, "route" example (trimmed):
#   route: {receiver: default-receiver, group_wait: 30s, group_interval: 5m,
#           repeat_interval: 4h, group_by: [cluster, alertname]}
#   - {receiver: database-pager, group_wait: 10s, matchers: [service=~"mysql|cassandra"]}
#   - {receiver: frontend-pager, group_by: [product, environment], matchers: [team="frontend"]}
#   - {receiver: dev-pager, matchers: [service="inhibited"], continue...}
TREE = Route(
    "root",
    receiver="default-receiver",
    group_by=("cluster", "alertname"),
    timing=ROOT_TIMING,
    routes=(
        Route("db", receiver="database-pager", group_wait_ms=10_000,
              matchers=parse_matchers('service=~"mysql|cassandra"')),
        Route("frontend", receiver="frontend-pager", group_by=("product", "environment"),
              matchers=parse_matchers('team="frontend"'),
              routes=(
                  Route("frontend-crit", matchers=parse_matchers('severity="critical"'), repeat_interval_ms=3_600_000),
              )),
    ),
)


def L(**labels: str) -> LabelSet:
    return LabelSet.of(labels)


def test_unmatched_alert_stays_at_root():
    (r,) = TREE.match(L(alertname="X", service="web"))
    assert (r.route_id, r.receiver, r.group_by, r.timing) == ("root", "default-receiver", ("cluster", "alertname"), ROOT_TIMING)
    assert r.path == ("root",)


def test_child_overrides_group_wait_only_and_inherits_the_rest():
    (r,) = TREE.match(L(service="cassandra", cluster="c1"))
    assert r.receiver == "database-pager" and r.group_by == ("cluster", "alertname")
    assert r.timing == GroupTiming(10_000, 300_000, 14_400_000)


def test_grandchild_inherits_receiver_and_group_by_from_its_parent():
    (r,) = TREE.match(L(team="frontend", severity="critical"))
    assert (r.route_id, r.receiver, r.group_by) == ("frontend-crit", "frontend-pager", ("product", "environment"))
    assert r.timing == GroupTiming(30_000, 300_000, 3_600_000)
    assert r.path == ("root", "frontend", "frontend-crit")


def test_node_whose_children_do_not_match_is_the_result():
    (r,) = TREE.match(L(team="frontend", severity="warning"))
    assert r.route_id == "frontend"


def test_first_matching_child_wins_without_continue():
    (r,) = TREE.match(L(service="mysql", team="frontend"))
    assert r.route_id == "db"


def test_continue_lets_later_siblings_match_too():
    tree = Route("root", receiver="default", routes=(
        Route("audit", receiver="audit-log", continue_=True),  # no matchers: every alert
        Route("db", receiver="dba", matchers=parse_matchers('service="mysql"'), continue_=True),
        Route("db2", receiver="dba-backup", matchers=parse_matchers('service=~"mysql|pg"')),
        Route("never", receiver="x", matchers=parse_matchers('service="mysql"')),
    ))
    assert [r.route_id for r in tree.match(L(service="mysql"))] == ["audit", "db", "db2"]
    # a continue child that matched still means the root itself is not a result
    assert [r.route_id for r in tree.match(L(service="web"))] == ["audit"]


def test_continue_inside_a_subtree():
    tree = Route("root", receiver="default", routes=(
        Route("team", receiver="team", matchers=parse_matchers('team="a"'), routes=(
            Route("page", receiver="pager", matchers=parse_matchers('severity="page"'), continue_=True),
            Route("chat", receiver="chat"),
        )),
        Route("other", receiver="other"),
    ))
    assert [r.receiver for r in tree.match(L(team="a", severity="page"))] == ["pager", "chat"]
    assert [r.receiver for r in tree.match(L(team="b"))] == ["other"]


def test_group_key_depends_on_route_and_group_by():
    (r,) = TREE.match(L(service="mysql", cluster="c1", alertname="A", instance="i1"))
    same_group = L(service="mysql", cluster="c1", alertname="A", instance="i2")
    assert r.group_key(same_group) == group_key("db", same_group, ("cluster", "alertname"))
    assert r.group_key(L(cluster="c1", alertname="A")) == r.group_key(same_group)
    assert r.group_key(L(cluster="c2", alertname="A")) != r.group_key(same_group)
    assert group_key("root", same_group, r.group_by) != r.group_key(same_group)


def test_group_by_all_labels():
    route = Route("root", receiver="r", group_by=("...",))
    (r,) = route.match(L(a="1"))
    assert r.group_labels(L(a="1", b="2")) == L(a="1", b="2")
    assert r.group_key(L(a="1", b="2")) != r.group_key(L(a="1", b="3"))


@pytest.mark.parametrize("build", [
    lambda: Route("root", receiver="r", routes=(Route("x"), Route("x"))),
    lambda: Route("root", receiver="r", routes=(Route("root"),)),
    lambda: Route("has space"),
    lambda: Route("r", group_by=("bad-label",)),
    lambda: Route("r", group_by=("...", "a")),
    lambda: Route("r", receiver=""),
])
def test_invalid_trees_are_refused(build):
    with pytest.raises(ValidationError):
        build()


def test_root_needs_a_receiver_and_no_matchers():
    with pytest.raises(ValidationError):
        Route("root").match(L(a="1"))
    with pytest.raises(ValidationError):
        Route("root", receiver="r", matchers=parse_matchers('a="1"')).match(L(a="1"))


def test_walk_lists_every_node_depth_first():
    assert [r.id for r in TREE.walk()] == ["root", "db", "frontend", "frontend-crit"]
    assert TREE.receiver_names() == {"default-receiver", "database-pager", "frontend-pager"}


def test_receiver_is_a_name_and_opaque_channels():
    rc = Receiver("team-a", ({"type": "slack", "channel": "#a"},))
    assert rc.channels[0]["type"] == "slack"
    with pytest.raises(ValidationError):
        Receiver("")
