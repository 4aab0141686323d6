"""Domain objects survive the trip through the Django models on SQLite and PostgreSQL,
edge values included (NaN, infinities, every rule kind, recurrences, reopened incidents),
evidence with NaN, the contexts that have no repository port yet (catalogue, tenant
users), and the history and delivery repositories against the in-memory reference."""

from __future__ import annotations

import math

import pytest

from domain.alerts.history import AlertDecision, Outcome, Stage
from domain.alerts.rules import AbsenceRule, AnomalyRule, Comparison, ThresholdRule
from domain.alerts.silences import Recurrence, Silence
from domain.alerts.state import Alert
from domain.compliance.checks import Evidence
from domain.compliance.evaluation import ControlStatus, Evaluation
from domain.identity.permissions import Role
from domain.identity.users import User
from domain.metrics.kinds import HistogramBuckets, MetricKind
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher
from domain.notifications.delivery import AttemptOutcome, Delivery, DeliveryStatus
from tests.contract.django_support import django_runner
from tests.contract.repositories_support import T0, incident

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("alias", ["sqlite", "postgres"])]

RULES = [
    ThresholdRule(id="t-inf", tenant="acme", name="Overflow", selector='{__name__=~"disk_.*", host!=""}', for_ms=0,
                  aggregation="max", window_ms=60_000, comparison=Comparison.GE, threshold=math.inf,
                  labels={"severity": "critical"}, annotations={"summary": "{{ $labels.host }} at {{ $value }}"},
                  keep_firing_for_ms=30_000),
    ThresholdRule(id="t-q", tenant="acme", name="SlowP99", selector="latency_seconds", aggregation="quantile", q=0.99,
                  window_ms=300_000, comparison="<", threshold=-0.5),
    AbsenceRule(id="a-1", tenant="acme", name="AgentDown", selector='up{job="agent"}', for_ms=10_000,
                absent_for_ms=120_000),
    AnomalyRule(id="n-1", tenant="acme", name="CpuOdd", selector='cpu{mode=~"user|system"}', detector="ewma",
                level=0.95),
]


def rows(model, alias):
    return model.objects.using(alias)


async def test_every_rule_kind_round_trips(alias):
    async with django_runner(alias) as uow:
        await uow.run(lambda u: [u.rules.add(r) for r in RULES])
        assert await uow.run(lambda u: [u.rules.get("acme", r.id) for r in RULES]) == RULES


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0.25])
async def test_alert_values_round_trip(alias, value):
    alert = Alert.new("acme", "r-1", LabelSet.of({"alertname": "HighCpu", "host": "a"}), {"summary": "hot"})
    alert.to_pending(T0)
    alert.value = value
    async with django_runner(alias) as uow:
        await uow.run(lambda u: u.alerts.save(alert))
        got = await uow.run(lambda u: u.alerts.get("acme", alert.fingerprint))
    assert (got.labels, got.annotations, got.state) == (alert.labels, alert.annotations, alert.state)
    assert got.active_at_ms == T0
    assert (math.isnan(got.value) and math.isnan(value)) or got.value == value


async def test_a_maintenance_window_round_trips(alias):
    window = Silence("mw-1", "acme", (Matcher.of("env", "=~", "prod|staging"), Matcher.of("team", "!=", "")), T0,
                     T0 + 90 * 86_400_000, "ops", "weekly patching", Recurrence("Europe/Berlin", frozenset({6, 2}),
                                                                                "22:00", 8 * 3_600_000))
    async with django_runner(alias) as uow:
        await uow.run(lambda u: u.silences.add(window))
        got = await uow.run(lambda u: u.silences.get("acme", "mw-1"))
    assert (got.matchers, got.recurrence, got.ends_at_ms, got.comment) == (
        window.matchers, window.recurrence, window.ends_at_ms, window.comment)


async def test_a_reopened_incident_round_trips(alias):
    inc = incident()
    inc.attach_alert("fp-2", T0 + 1)
    inc.change_severity("SEV1", "alice", T0 + 2)
    inc.acknowledge("alice", T0 + 3)
    inc.mitigate("alice", T0 + 4, "rolled back")
    inc.resolve("alice", T0 + 5)
    inc.reopen("bob", T0 + 6, "came back")
    inc.summary = "disk filled by logs"
    async with django_runner(alias) as uow:
        await uow.run(lambda u: u.incidents.add(inc))
        assert await uow.run(lambda u: u.incidents.get("acme", "inc-1")) == inc


async def test_compliance_evaluations_keep_their_evidence(alias):
    from adapters.django_orm.compliance.mappers import evaluation_fields, evaluation_from_row
    from adapters.django_orm.compliance.models import Evaluation as Row

    evidence = (
        Evidence("fact", "tls.min_version", "1.2", "1.2", T0, "eq", True),
        Evidence("metric", "cpu_usage", math.nan, 0.9, T0, "lt", None, "no samples"),
        Evidence("fact", "ports", (22, 443), {"allowed": (443,), "limit": math.inf}, T0, "in", False),
    )
    ev = Evaluation("CIS-1.1", "acme", ControlStatus.ERROR, evidence, T0, "no samples")

    async with django_runner(alias) as uow:
        await uow.run(lambda u: rows(Row, u.using).create(**evaluation_fields(ev)))
        got = await uow.run(lambda u: evaluation_from_row(rows(Row, u.using).get(control_id="CIS-1.1")))
    assert got.evidence[0] == evidence[0] and got.evidence[2] == evidence[2]
    assert math.isnan(got.evidence[1].observed) and got.evidence[1].error == "no samples"
    assert (got.control_id, got.status, got.error) == ("CIS-1.1", ControlStatus.ERROR, "no samples")


async def test_catalogue_and_users_round_trip(alias):
    from adapters.django_orm.catalogue.mappers import MetricFamilyRecord, family_fields, family_from_row
    from adapters.django_orm.catalogue.models import MetricFamily
    from adapters.django_orm.identity.mappers import user_fields, user_from_row
    from adapters.django_orm.identity.models import User as UserRow

    family = MetricFamilyRecord("acme", "http_seconds", MetricKind.HISTOGRAM, "s", "latency",
                                HistogramBuckets.of([0.1, 1.0, math.inf]))
    user = User("u-1", "acme", "alice", "Alice@Example.COM", "Alice", Role.RESPONDER)

    def write(u):
        rows(MetricFamily, u.using).create(**family_fields(family))
        rows(UserRow, u.using).create(**user_fields(user))

    def read(u):
        return (
            family_from_row(rows(MetricFamily, u.using).get(name="http_seconds")),
            user_from_row(rows(UserRow, u.using).get(user_id="u-1")),
        )

    async with django_runner(alias) as uow:
        await uow.run(write)
        assert await uow.run(read) == (family, user)


def delivery(key: str, at: int, *, receiver: str = "ops", group: str = "g-1") -> Delivery:
    return Delivery(key, "acme", receiver, "chat", "slack", group, at, at, alerts=("fp-1", "fp-2"))


def delivery_fields(d: Delivery | None) -> tuple | None:
    if d is None:
        return None
    return (d.key, d.tenant, d.receiver, d.channel, d.channel_type, d.group_key, d.notification_at_ms,
            d.created_at_ms, d.alerts, d.status, d.updated_at_ms, d.attempts)


def notification_story(u) -> tuple:
    """The same work on every adapter: its results must be identical (the in-memory
    adapter is the reference for the history and delivery repositories)."""
    first = delivery("b-key", T0)
    added = [u.deliveries.add_if_absent(first), u.deliveries.add_if_absent(delivery("b-key", T0 + 9))]
    first.record(AttemptOutcome.FAILED, T0 + 1, status_code=503, detail="unavailable", duration_ms=12)
    first.record(AttemptOutcome.SENT, T0 + 2, status_code=200)
    u.deliveries.save(first)
    u.deliveries.save(delivery("a-key", T0))  # same creation time: ties go by key, descending
    u.deliveries.save(delivery("c-key", T0 + 5, receiver="dev", group="g-2"))
    u.deliveries.save(Delivery("b-key", "globex", "ops", "chat", "slack", "g-1", T0, T0))  # another tenant
    for n in range(7):
        u.history.add([AlertDecision("acme", "fp-1", Stage.ROUTE, Outcome.ROUTED, f"route {n}", T0 + n, "ops"),
                       AlertDecision("acme", "fp-2", Stage.DEDUP, Outcome.DUPLICATE, "seen", T0 + n)])
    u.history.add([])
    listed = lambda **kw: [d.key for d in u.deliveries.list("acme", **kw)]  # noqa: E731
    return (
        added,
        delivery_fields(u.deliveries.get("acme", "b-key")),
        delivery_fields(u.deliveries.get("initech", "b-key")), [d.key for d in u.deliveries.list("globex")],
        listed(), listed(statuses=[DeliveryStatus.SENT]), listed(receiver="dev"), listed(group_key="g-1"),
        listed(limit=2), listed(statuses=["queued"], receiver="ops"),
        u.history.for_alert("acme", "fp-1", limit=3), len(u.history.for_alert("acme", "fp-2")),
        u.history.for_alert("acme", "fp-1", limit=0), u.history.for_alert("globex", "fp-1"),
    )


async def test_history_and_deliveries_behave_as_the_reference(alias):
    from adapters.memory.repositories import MemoryUnitOfWorkRunner

    expected = await MemoryUnitOfWorkRunner().run(notification_story)
    async with django_runner(alias) as uow:
        assert await uow.run(notification_story) == expected
    assert expected[0] == [True, False] and expected[4] == ["c-key", "b-key", "a-key"]
    assert [d.reason for d in expected[10]] == ["route 4", "route 5", "route 6"]


async def test_alert_history_keeps_the_newest_decisions_per_alert(alias):
    from adapters.django_orm.alerts.repositories import DjangoAlertHistoryRepository

    async with django_runner(alias) as uow:
        def work(u):
            history = DjangoAlertHistoryRepository(u.using, keep_per_alert=3)
            for n in range(5):
                history.add([AlertDecision("acme", "fp-1", Stage.NOTIFY, Outcome.QUEUED, str(n), T0 + n),
                             AlertDecision("acme", "fp-2", Stage.NOTIFY, Outcome.QUEUED, str(n), T0 + n)])
            kept = history.for_alert("acme", "fp-1", limit=10)
            return [d.reason for d in kept], len(history.for_alert("acme", "fp-2"))

        assert await uow.run(work) == (["2", "3", "4"], 3)
