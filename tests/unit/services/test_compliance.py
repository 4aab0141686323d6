"""ComplianceService on the in-memory unit of work and sample store with a fake clock:
facts (configuration, derived, pushed) and metrics (MetricCheck semantics) give the
expected statuses and posture; missing evidence is ERROR, never PASS."""

from __future__ import annotations

import asyncio
import math

import pytest

from adapters.memory.clock import FakeClock
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.samples import MemorySampleStore
from domain.alerts.rules import AbsenceRule, Comparison, ThresholdRule
from domain.compliance import CheckOperator, Control, FactCheck, Framework, FrameworkRef, Severity
from domain.compliance.evaluation import ControlStatus
from domain.errors import LimitExceeded, NotFound, ValidationError
from domain.identity import Role, Totp, User, UserStatus
from domain.identity.api_keys import generate_api_key
from domain.incidents.incident import Incident, Severity as IncidentSeverity
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from services.compliance import MAX_FACT_VALUE_BYTES, MAX_FACTS_PER_PUSH, ComplianceService

NOW = 1_800_000_000_000
HOUR = 3_600_000
DAY = 24 * HOUR
T = "acme"

# The facts only an integrator can report (services/compliance.py's module docstring),
# and audit.retention_days, which the composition root configures.
PUSHED_OK = {
    "ingest.tls.enabled": True, "ingest.tls.min_version": "1.3", "audit.retention_days": 365,
    "oncall.escalation_policies": 2, "oncall.uncovered_hours_next_7d": 0,
}


class Rig:
    def __init__(self, system_facts=None, controls=None) -> None:
        self.clock = FakeClock(NOW)
        self.uow = MemoryUnitOfWorkRunner()
        self.store = MemorySampleStore()
        self.service = ComplianceService(self.uow, self.store, self.clock, controls, system_facts)

    async def samples(self, name: str, labels: dict[str, str], points: list[tuple[int, float]], tenant: str = T) -> None:
        key = SeriesKey.of(tenant, name, labels)
        await self.store.write([SampleBatch(tenant, (SeriesSamples(key, tuple(Sample(t, v) for t, v in points)),))])

    async def healthy_metrics(self) -> None:
        for host in ("a", "b"):
            await self.samples("node_timex_sync_status", {"host": host}, [(NOW - 30 * 60_000, 1), (NOW - 60_000, 1)])
        await self.samples("oe_backup_last_success_age_seconds", {"job": "db"}, [(NOW - 60_000, 3600)])
        await self.samples("oe_backup_last_success_age_seconds", {"job": "files"}, [(NOW - 60_000, 7200)])

    async def disk_rule(self, selector: str = "system_filesystem_utilization_ratio", rule_id: str = "disk") -> None:
        rule = ThresholdRule(id=rule_id, tenant=T, name="DiskFull", selector=selector, aggregation="max",
                             window_ms=300_000, comparison=Comparison.GT, threshold=0.9)
        await self.uow.run(lambda u: u.rules.add(rule))

    async def evaluate(self) -> dict:
        return await self.service.evaluate(T, NOW)

    async def statuses(self) -> dict[str, str]:
        return {c.id: (ev.status.value if ev else None) for c, ev in await self.service.catalogue(T)}


@pytest.fixture
def rig() -> Rig:
    return Rig()


async def test_a_well_run_tenant_passes_every_applicable_control(rig):
    await rig.service.push_facts(T, PUSHED_OK, "terraform")
    await rig.disk_rule()
    await rig.healthy_metrics()

    summary = await rig.evaluate()

    assert summary["passed"] == 9 and summary["not_applicable"] == 1  # OE-IR-01: no incidents in 30 days
    assert summary["failed"] == summary["errored"] == 0 and summary["evaluated"] == 10
    assert summary["missing_facts"] == [] and summary["metrics_without_data"] == ["last(oe_incident_mtta_seconds[1d])"]
    assert (await rig.statuses())["OE-IR-01"] == "not_applicable"
    posture = summary["posture"]
    assert posture["soc2"]["score"] == 100.0 and posture["soc2"]["not_applicable"] == 1
    assert posture["hipaa"] == {"framework": "hipaa", "title": "HIPAA Security Rule", "score": None, "passed": 0,
                                "failed": 0, "errored": 0, "not_applicable": 0, "unevaluated": 0, "total": 0}


async def test_nothing_known_is_error_not_pass(rig):
    summary = await rig.evaluate()

    statuses = await rig.statuses()
    # Only the derived facts decide anything on an empty tenant (no users, no API keys,
    # no rules, no incidents); every control needing a pushed fact or a metric is ERROR.
    decided = {"OE-IAM-01": "pass", "OE-IAM-02": "pass", "OE-IAM-03": "pass", "OE-MON-01": "fail",
               "OE-IR-01": "not_applicable"}
    assert statuses == {cid: decided.get(cid, "error") for cid in statuses}
    assert summary["errors"]["OE-LOG-02"] == "no data for metric min(node_timex_sync_status[1h])"
    assert summary["errors"]["OE-LOG-01"] == "fact 'audit.retention_days' is missing"
    assert set(summary["missing_facts"]) == set(PUSHED_OK)
    soc2 = summary["posture"]["soc2"]
    # Errors stay in the denominator: OE-IAM-01 (critical, 4), -02 and -03 (medium, 2
    # each) of 22 applicable weight pass.
    assert (soc2["passed"], soc2["failed"], soc2["errored"], soc2["not_applicable"], soc2["total"]) == (3, 1, 4, 1, 9)
    assert soc2["score"] == round(100 * 8 / 22, 2)
    assert summary["posture"]["pci_dss"]["score"] == round(100 * 4 / 12, 2)  # only OE-IAM-01 is proven


async def test_identity_facts_are_derived_from_the_users(rig):
    def admin(id, **kw):
        return User(id, T, id, f"{id}@example.com", id, Role.ADMIN, created_at_ms=NOW - DAY, **kw)

    await rig.uow.run(lambda u: [
        u.users.add(admin("totp", totp=Totp("sealed", confirmed=True))),
        u.users.add(admin("sso", last_sign_in_ms=NOW - HOUR, last_sign_in_mfa=True)),
        u.users.add(User("old", T, "old", "old@example.com", "Old", Role.VIEWER, created_at_ms=NOW - 50 * DAY)),
        u.users.add(User("gone", T, "gone", "gone@example.com", "Gone", Role.ADMIN, created_at_ms=NOW - 90 * DAY,
                         status=UserStatus.DEACTIVATED)),
    ])
    derived, _ = await rig.service.facts(T)
    assert derived["identity.admin_mfa_required"] is True  # the deactivated admin does not count
    assert derived["identity.dormant_users_45d"] == 1 and derived["identity.users.active"] == 3
    assert derived["audit.enabled"] is True

    await rig.uow.run(lambda u: u.users.add(admin("plain", totp=Totp("sealed"))))  # enrolment not confirmed
    await rig.evaluate()
    assert (await rig.statuses())["OE-IAM-01"] == "fail"
    assert (await rig.statuses())["OE-IAM-02"] == "fail"


async def test_api_keys_without_expiry_are_counted_from_the_repository(rig):
    forever, _ = generate_api_key(T, "agent", ["ingest"], NOW - DAY, "k-1")
    expiring, _ = generate_api_key(T, "ci", ["read"], NOW - DAY, "k-2", expires_at_ms=NOW + DAY)
    revoked, _ = generate_api_key(T, "old", ["read"], NOW - DAY, "k-3")
    other, _ = generate_api_key("other", "agent", ["ingest"], NOW - DAY, "k-4")
    for key in (forever, expiring, revoked.revoke(NOW - HOUR), other):
        await rig.uow.run(lambda u, k=key: u.api_keys.add(k))

    await rig.evaluate()

    [ev] = await rig.service.history(T, "OE-IAM-03")
    assert ev.status is ControlStatus.FAIL
    assert ev.evidence[0].observed == 1 and ev.evidence[0].key == "identity.api_keys.without_expiry"
    derived, _ = await rig.service.facts(T)
    assert derived["identity.api_keys.active"] == 2


async def test_disk_usage_coverage_comes_from_the_rules(rig):
    absence = AbsenceRule(id="gone", tenant=T, name="DiskMetricsGone", selector="node_filesystem_avail_bytes",
                          absent_for_ms=600_000)
    await rig.uow.run(lambda u: u.rules.add(absence))
    await rig.disk_rule("system_disk_io_bytes_total", "io")  # I/O is not usage
    await rig.evaluate()
    assert (await rig.statuses())["OE-MON-01"] == "fail"

    await rig.disk_rule('{__name__="node_filesystem_avail_bytes", mountpoint="/"}', "avail")
    rig.clock.advance(60_000)
    await rig.service.evaluate_now(T)
    assert (await rig.statuses())["OE-MON-01"] == "pass"
    derived, _ = await rig.service.facts(T)
    assert derived["alerts.rules.covered_signals"] == ["disk_usage"] and derived["alerts.rules.count"] == 3


async def test_metric_checks_aggregate_per_series_then_across_series(rig):
    await rig.samples("node_timex_sync_status", {"host": "a"}, [(NOW - 10 * 60_000, 1)])
    await rig.samples("node_timex_sync_status", {"host": "b"}, [(NOW - 50 * 60_000, 0), (NOW - 60_000, 1)])
    await rig.samples("node_timex_sync_status", {"host": "c"}, [(NOW - HOUR, 0)])  # on the open edge: outside
    await rig.samples("oe_backup_last_success_age_seconds", {"job": "db"}, [(NOW - 60_000, 3600)])
    await rig.samples("oe_backup_last_success_age_seconds", {"job": "files"}, [(NOW - 60_000, 90_000)])

    await rig.evaluate()

    [sync] = await rig.service.history(T, "OE-LOG-02")
    [backup] = await rig.service.history(T, "OE-BCP-01")
    assert sync.status is ControlStatus.FAIL and sync.evidence[0].observed == 0.0  # the worst host (b)
    assert backup.status is ControlStatus.FAIL and backup.evidence[0].observed == 90_000.0  # the oldest backup


async def test_the_window_is_left_open_and_other_tenants_do_not_count(rig):
    await rig.samples("node_timex_sync_status", {"host": "a"}, [(NOW - HOUR, 0), (NOW - HOUR + 1, 1)])
    await rig.samples("node_timex_sync_status", {"host": "z"}, [(NOW - 60_000, 0)], tenant="other")
    await rig.evaluate()
    assert (await rig.statuses())["OE-LOG-02"] == "pass"


async def test_incidents_make_the_mtta_control_apply_and_last_takes_the_newest_sample(rig):
    inc = Incident.open("inc-1", T, "disk full", IncidentSeverity.SEV2, NOW - 2 * DAY)
    await rig.uow.run(lambda u: u.incidents.add(inc))
    await rig.evaluate()
    [ev] = await rig.service.history(T, "OE-IR-01")
    assert ev.status is ControlStatus.ERROR and ev.error == "no data for metric last(oe_incident_mtta_seconds[1d])"

    await rig.samples("oe_incident_mtta_seconds", {"team": "a"}, [(NOW - 2 * HOUR, 3600)])
    await rig.samples("oe_incident_mtta_seconds", {"team": "b"}, [(NOW - HOUR, 600)])
    rig.clock.advance(1)
    await rig.service.evaluate(T, NOW + 1)
    latest, _ = await rig.service.history(T, "OE-IR-01")
    assert latest.status is ControlStatus.PASS and latest.evidence[0].observed == 600.0


async def test_pushed_facts_override_derived_and_configured_ones():
    rig = Rig(system_facts=lambda: {"ingest.tls.enabled": False, "ingest.tls.min_version": "1.0"})
    forever, _ = generate_api_key(T, "agent", ["ingest"], NOW - DAY, "k-1")
    await rig.uow.run(lambda u: u.api_keys.add(forever))
    await rig.evaluate()
    first = await rig.statuses()
    assert first["OE-NET-01"] == "fail" and first["OE-IAM-03"] == "fail" and first["OE-MON-01"] == "fail"

    await rig.service.push_facts(T, {
        "ingest.tls": {"enabled": True, "min_version": "1.2"},  # an object hides the configured flat keys
        "identity.api_keys.without_expiry": 0,
        "alerts.rules.covered_signals": ["disk_usage"],
    }, "cmdb")
    await rig.service.evaluate(T, NOW + 1)
    second = await rig.statuses()
    assert second["OE-NET-01"] == second["OE-IAM-03"] == second["OE-MON-01"] == "pass"


async def test_a_failing_store_errors_only_the_checks_it_serves(rig):
    await rig.service.push_facts(T, PUSHED_OK, "terraform")

    class Broken(MemorySampleStore):
        async def select(self, tenant, selector, start_ms, end_ms):
            if selector.metric == "node_timex_sync_status":
                raise ConnectionError("store down")
            return await super().select(tenant, selector, start_ms, end_ms)

    rig.service = ComplianceService(rig.uow, Broken(), rig.clock)
    summary = await rig.evaluate()
    assert summary["errors"]["OE-LOG-02"] == (
        "resolving metric min(node_timex_sync_status[1h]) failed: ConnectionError: store down")
    assert (await rig.statuses())["OE-NET-01"] == "pass"


async def test_nan_aggregates_are_errors(rig):
    await rig.samples("node_timex_sync_status", {"host": "a"}, [(NOW - 60_000, math.nan)])
    summary = await rig.evaluate()
    assert "NaN" in summary["errors"]["OE-LOG-02"]


async def test_evaluations_are_kept_newest_first_and_a_retried_run_replaces(rig):
    await rig.evaluate()
    await rig.service.push_facts(T, PUSHED_OK, "terraform")
    await rig.evaluate()  # the same instant again: a retried activity
    await rig.service.evaluate(T, NOW + HOUR)

    history = await rig.service.history(T, "OE-IAM-01")
    assert [(e.evaluated_at_ms, e.status.value) for e in history] == [(NOW + HOUR, "pass"), (NOW, "pass")]
    assert [e.evaluated_at_ms for e in await rig.service.history(T, "OE-IAM-01", limit=1)] == [NOW + HOUR]
    posture = await rig.service.posture(T)
    assert posture[Framework.PCI_DSS].passed >= 2 and posture[Framework.PCI_DSS].unevaluated == 0


async def test_history_of_an_unknown_control_is_not_found(rig):
    with pytest.raises(NotFound):
        await rig.service.history(T, "NOPE-1")


async def test_configured_facts_feed_custom_controls_and_a_broken_provider_costs_only_its_facts():
    control = Control("X-1", "Repository is durable", "Evaluations survive restarts.", Severity.LOW,
                      (FrameworkRef(Framework.SOC2, "A1.2"),), FactCheck("platform.repository", CheckOperator.EQ, "django"))
    rig = Rig(system_facts=lambda: {"platform.repository": "django"}, controls=[control])
    assert (await rig.evaluate())["passed"] == 1

    def broken():
        raise OSError("settings unreadable")

    rig = Rig(system_facts=broken, controls=[control])
    summary = await rig.evaluate()
    assert summary["errors"] == {"X-1": "fact 'platform.repository' is missing"}


async def test_pushed_facts_record_who_and_when(rig):
    stored = await rig.service.push_facts(T, {"audit.enabled": True, "b.list": [1, "x"]}, " ci ", actor="api_key:k-1")
    rig.clock.advance(5)
    await rig.service.push_facts(T, {"audit.enabled": False}, "cmdb")
    _, pushed = await rig.service.facts(T)
    assert stored == ["audit.enabled", "b.list"]
    assert (pushed["b.list"].value, pushed["b.list"].source, pushed["b.list"].updated_at_ms) == ((1, "x"), "ci (by api_key:k-1)", NOW)
    assert (pushed["audit.enabled"].value, pushed["audit.enabled"].source, pushed["audit.enabled"].updated_at_ms) == (False, "cmdb", NOW + 5)
    assert (await rig.service.facts("other"))[1] == {}


@pytest.mark.parametrize(("facts", "source", "error", "field"), [
    ({"bad key": 1}, "ci", ValidationError, 'facts["bad key"]'),
    ({"a..b": 1}, "ci", ValidationError, 'facts["a..b"]'),
    ({"x" * 201: 1}, "ci", ValidationError, None),
    ({"a.b": math.nan}, "ci", ValidationError, 'facts["a.b"]'),
    ({"a.b": {"c": object()}}, "ci", ValidationError, 'facts["a.b"].c'),
    ({"a.b": "x" * (MAX_FACT_VALUE_BYTES + 1)}, "ci", LimitExceeded, 'facts["a.b"]'),
    ({f"k{i}": i for i in range(MAX_FACTS_PER_PUSH + 1)}, "ci", LimitExceeded, "facts"),
    ({}, "ci", ValidationError, "facts"),
    (["a"], "ci", ValidationError, "facts"),
    ({"a.b": 1}, "  ", ValidationError, "source"),
    ({"a.b": 1}, "x" * 101, ValidationError, "source"),
])
async def test_bad_pushes_are_refused_whole_naming_the_field(rig, facts, source, error, field):
    with pytest.raises(error) as caught:
        await rig.service.push_facts(T, {"good.one": True, **facts} if isinstance(facts, dict) and facts else facts, source)
    if field is not None:
        assert caught.value.field == field
    else:
        assert caught.value.field.startswith('facts["xxx')
    assert (await rig.service.facts(T))[1] == {}  # all or nothing


async def test_the_tenant_fact_limit_counts_merged_keys(rig, monkeypatch):
    import services.compliance as mod

    monkeypatch.setattr(mod, "MAX_FACTS_PER_TENANT", 3)
    await rig.service.push_facts(T, {"a": 1, "b": 2, "c": 3}, "ci")
    await rig.service.push_facts(T, {"a": 4}, "ci")  # replacing does not grow
    with pytest.raises(LimitExceeded) as caught:
        await rig.service.push_facts(T, {"d": 1}, "ci")
    assert caught.value.limit == "max_facts_per_tenant"


async def test_the_timer_evaluates_at_once_and_then_periodically_until_stopped(rig):
    stop = asyncio.Event()
    runs: list[int] = []
    evaluate = rig.service.evaluate

    async def counting(tenant, at_ms):
        runs.append(at_ms)
        if len(runs) == 3:
            stop.set()
        return await evaluate(tenant, at_ms)

    rig.service.evaluate = counting
    await asyncio.wait_for(rig.service.run(T, 0.01, stop), 5)
    assert len(runs) == 3


async def test_bad_arguments_are_refused(rig):
    with pytest.raises(ValidationError):
        await rig.service.evaluate("Not A Tenant", NOW)
    with pytest.raises(ValidationError):
        await rig.service.evaluate(T, -1)
