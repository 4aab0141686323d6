"""The built-in controls: what an observability platform can prove about itself.

Each control reads facts a collector reports about the tenant's deployment, or metrics
the platform already stores. The facts the catalogue needs (``required_facts`` lists
them per control):

- ``ingest.tls.enabled`` (bool), ``ingest.tls.min_version`` ("1.2" / "1.3")
- ``audit.enabled`` (bool), ``audit.retention_days`` (number)
- ``identity.admin_mfa_required`` (bool), ``identity.dormant_users_45d`` (count),
  ``identity.api_keys.without_expiry`` (count of active keys with no expiry)
- ``alerts.rules.covered_signals`` (list of signal names with an enabled alert rule)
- ``oncall.escalation_policies`` (count), ``oncall.uncovered_hours_next_7d`` (number)
- ``incidents.count_30d`` (count)

and the metrics: ``oe_backup_last_success_age_seconds`` (gauge, per backup job),
``oe_incident_mtta_seconds`` (gauge, rolling 30-day mean time to acknowledge, published
by analytics) and node_exporter's ``node_timex_sync_status`` (1 when the clock is
synchronised).

References are to SOC 2 (2017 TSC), ISO/IEC 27001:2022 Annex A, CIS Controls v8
safeguards, and where the mapping is direct NIST CSF 2.0 and PCI DSS v4.0. A control
only lists clauses it really provides evidence for, not every framework.
"""

from __future__ import annotations

from domain.compliance.checks import AllOf, CheckOperator as Op, FactCheck, MetricCheck
from domain.compliance.controls import Control, Framework as F, FrameworkRef as Ref, Severity
from domain.metrics.aggregations import Aggregation
from domain.metrics.query import Selector

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

BACKUP_MAX_AGE_S = 24 * 3600
MTTA_TARGET_S = 15 * 60
AUDIT_RETENTION_DAYS = 90  # CIS 8.10's minimum


def default_controls() -> tuple[Control, ...]:
    """The catalogue, freshly built (controls are immutable; callers may filter it)."""
    return (
        Control(
            "OE-NET-01",
            "TLS is enforced on telemetry ingest",
            "Agents and integrations send telemetry over TLS 1.2 or newer only, so data in "
            "transit cannot be read or altered.",
            Severity.HIGH,
            (Ref(F.SOC2, "CC6.7"), Ref(F.ISO27001, "A.8.24"), Ref(F.CIS, "3.10"),
             Ref(F.NIST_CSF, "PR.DS-02"), Ref(F.PCI_DSS, "4.2.1")),
            AllOf((
                FactCheck("ingest.tls.enabled", Op.EQ, True),
                FactCheck("ingest.tls.min_version", Op.IN, ["1.2", "1.3"]),
            )),
        ),
        Control(
            "OE-LOG-01",
            "Audit logging is enabled and retained",
            f"Every administrative and incident action is written to the audit log, kept "
            f"for at least {AUDIT_RETENTION_DAYS} days.",
            Severity.HIGH,
            (Ref(F.SOC2, "CC7.2"), Ref(F.ISO27001, "A.8.15"), Ref(F.CIS, "8.2"), Ref(F.CIS, "8.10"),
             Ref(F.PCI_DSS, "10.2.1")),
            AllOf((
                FactCheck("audit.enabled", Op.EQ, True),
                FactCheck("audit.retention_days", Op.GE, AUDIT_RETENTION_DAYS),
            )),
        ),
        Control(
            "OE-LOG-02",
            "Host clocks are synchronised",
            "Every monitored host reports a synchronised clock over the last hour, so logs, "
            "metrics and the incident timeline line up.",
            Severity.MEDIUM,
            (Ref(F.ISO27001, "A.8.17"), Ref(F.CIS, "8.4"), Ref(F.PCI_DSS, "10.6.1")),
            MetricCheck(Selector.parse("node_timex_sync_status"), Aggregation.MIN, HOUR_MS, Op.EQ, 1),
        ),
        Control(
            "OE-IAM-01",
            "MFA is required for administrators",
            "Accounts with the admin role must sign in with a second factor.",
            Severity.CRITICAL,
            (Ref(F.SOC2, "CC6.1"), Ref(F.ISO27001, "A.8.5"), Ref(F.CIS, "6.5"), Ref(F.PCI_DSS, "8.4.1")),
            FactCheck("identity.admin_mfa_required", Op.EQ, True),
        ),
        Control(
            "OE-IAM-02",
            "Dormant accounts are disabled",
            "No enabled user account has been unused for more than 45 days.",
            Severity.MEDIUM,
            (Ref(F.SOC2, "CC6.2"), Ref(F.ISO27001, "A.5.18"), Ref(F.CIS, "5.3")),
            FactCheck("identity.dormant_users_45d", Op.EQ, 0),
        ),
        Control(
            "OE-IAM-03",
            "API keys expire",
            "Every active API key has an expiry date, so a forgotten or leaked key stops working.",
            Severity.MEDIUM,
            (Ref(F.SOC2, "CC6.1"), Ref(F.ISO27001, "A.5.17")),
            FactCheck("identity.api_keys.without_expiry", Op.EQ, 0),
        ),
        Control(
            "OE-MON-01",
            "Disk usage is alerted on",
            "An enabled alert rule watches disk usage, so capacity runs out with a warning.",
            Severity.MEDIUM,
            (Ref(F.SOC2, "A1.1"), Ref(F.ISO27001, "A.8.6"), Ref(F.ISO27001, "A.8.16")),
            FactCheck("alerts.rules.covered_signals", Op.CONTAINS, "disk_usage"),
        ),
        Control(
            "OE-BCP-01",
            "Backups are less than 24 hours old",
            "The most recent successful backup of every backup job is under a day old.",
            Severity.HIGH,
            (Ref(F.SOC2, "A1.2"), Ref(F.ISO27001, "A.8.13"), Ref(F.CIS, "11.2"), Ref(F.NIST_CSF, "PR.DS-11")),
            MetricCheck(
                Selector.parse("oe_backup_last_success_age_seconds"),
                Aggregation.MAX, HOUR_MS, Op.LT, BACKUP_MAX_AGE_S,
            ),
        ),
        Control(
            "OE-IR-01",
            "Incidents are acknowledged within target",
            f"The 30-day mean time to acknowledge is at most {MTTA_TARGET_S // 60} minutes. "
            "Not applicable to a tenant without incidents in that period.",
            Severity.MEDIUM,
            (Ref(F.SOC2, "CC7.4"), Ref(F.ISO27001, "A.5.26"), Ref(F.CIS, "17.4")),
            MetricCheck(Selector.parse("oe_incident_mtta_seconds"), Aggregation.LAST, DAY_MS, Op.LE, MTTA_TARGET_S),
            applies_when=FactCheck("incidents.count_30d", Op.GT, 0),
        ),
        Control(
            "OE-IR-02",
            "On-call coverage is complete",
            "At least one escalation policy exists and the on-call schedules leave no hour "
            "of the next week uncovered.",
            Severity.HIGH,
            (Ref(F.SOC2, "CC7.3"), Ref(F.ISO27001, "A.5.24"), Ref(F.CIS, "17.1"), Ref(F.NIST_CSF, "RS.MA-01")),
            AllOf((
                FactCheck("oncall.escalation_policies", Op.GE, 1),
                FactCheck("oncall.uncovered_hours_next_7d", Op.EQ, 0),
            )),
        ),
    )
