"""Rule, alert and silence repositories over ``oe_alerts`` (ports.repositories).

Every method runs inside the unit of work's transaction on database ``using``. Lists
are ordered in Python with the keys the in-memory reference uses, so the order is the
same on every database whatever its collation.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.django_orm.alerts import mappers
from adapters.django_orm.alerts.models import Alert as AlertRow
from adapters.django_orm.alerts.models import AlertDecision as DecisionRow
from adapters.django_orm.alerts.models import Rule as RuleRow
from adapters.django_orm.alerts.models import Silence as SilenceRow
from adapters.django_orm.rows import insert, upsert
from domain.alerts.history import AlertDecision
from domain.alerts.silences import Silence
from domain.alerts.state import Alert
from domain.errors import Conflict, NotFound


class DjangoRuleRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def _rows(self):
        return RuleRow.objects.using(self._db)

    def add(self, rule: mappers.AlertRule) -> None:
        insert(RuleRow, self._db, mappers.rule_fields(rule), f"rule {rule.id!r}")

    def get(self, tenant: str, rule_id: str) -> mappers.AlertRule | None:
        row = self._rows().filter(tenant=tenant, rule_id=rule_id).first()
        return mappers.rule_from_row(row) if row is not None else None

    def list(self, tenant: str | None = None) -> list[mappers.AlertRule]:
        rows = self._rows() if tenant is None else self._rows().filter(tenant=tenant)
        return sorted((mappers.rule_from_row(r) for r in rows), key=lambda r: (r.tenant, r.name, r.id))

    def replace(self, rule: mappers.AlertRule, expected_version: int) -> None:
        # One conditional UPDATE: of two writers that read the same version one wins, the
        # other's UPDATE matches nothing and gets Conflict.
        mine = self._rows().filter(tenant=rule.tenant, rule_id=rule.id)
        if mine.filter(version=expected_version).update(**mappers.rule_fields(rule)) == 0:
            stored = mine.values_list("version", flat=True).first()
            if stored is None:
                raise NotFound(f"no rule {rule.id!r}")
            raise Conflict(f"rule {rule.id!r} is at version {stored}, not {expected_version}", current_version=stored)

    def remove(self, tenant: str, rule_id: str, expected_version: int | None = None) -> bool:
        mine = self._rows().filter(tenant=tenant, rule_id=rule_id)
        matching = mine if expected_version is None else mine.filter(version=expected_version)
        if matching.delete()[0]:
            return True
        stored = mine.values_list("version", flat=True).first()
        if stored is None:
            return False
        raise Conflict(f"rule {rule_id!r} is at version {stored}, not {expected_version}", current_version=stored)


class DjangoAlertRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def save(self, alert: Alert) -> None:
        upsert(AlertRow, self._db, mappers.alert_fields(alert), ["tenant", "fingerprint"])

    def get(self, tenant: str, fingerprint: str) -> Alert | None:
        row = AlertRow.objects.using(self._db).filter(tenant=tenant, fingerprint=fingerprint).first()
        return mappers.alert_from_row(row) if row is not None else None

    def list(self, tenant: str, states: Sequence[str] = ()) -> list[Alert]:
        rows = AlertRow.objects.using(self._db).filter(tenant=tenant)
        wanted = {str(getattr(s, "value", s)) for s in states}
        if wanted:
            rows = rows.filter(state__in=sorted(wanted))
        alerts = (mappers.alert_from_row(r) for r in rows)
        return sorted(alerts, key=lambda a: (a.labels.get("alertname"), a.fingerprint))


class DjangoSilenceRepository:
    """``add`` and ``save`` both write the silence (as the reference does): a silence is
    never deleted, only expired, so there is no duplicate to refuse."""

    def __init__(self, using: str) -> None:
        self._db = using

    def add(self, silence: Silence) -> None:
        upsert(SilenceRow, self._db, mappers.silence_fields(silence), ["tenant", "silence_id"])

    save = add

    def get(self, tenant: str, silence_id: str) -> Silence | None:
        row = SilenceRow.objects.using(self._db).filter(tenant=tenant, silence_id=silence_id).first()
        return mappers.silence_from_row(row) if row is not None else None

    def list(self, tenant: str) -> list[Silence]:
        rows = SilenceRow.objects.using(self._db).filter(tenant=tenant).order_by("pk")
        return [mappers.silence_from_row(r) for r in rows]


class DjangoAlertHistoryRepository:
    """Append-only, oldest first; like the reference, it keeps the newest
    ``keep_per_alert`` decisions of each alert and deletes older ones."""

    def __init__(self, using: str, keep_per_alert: int = 1000) -> None:
        self._db = using
        self._keep = keep_per_alert

    def add(self, decisions: Sequence[AlertDecision]) -> None:
        if not decisions:
            return
        rows = DecisionRow.objects.using(self._db)
        rows.bulk_create([DecisionRow(**mappers.decision_fields(d)) for d in decisions])
        for tenant, fingerprint in {(d.tenant, d.fingerprint) for d in decisions}:
            mine = rows.filter(tenant=tenant, fingerprint=fingerprint)
            kept = list(mine.order_by("-id").values_list("id", flat=True)[self._keep - 1 : self._keep])
            if kept:
                mine.filter(id__lt=kept[0]).delete()

    def for_alert(self, tenant: str, fingerprint: str, limit: int = 200) -> list[AlertDecision]:
        if limit <= 0:
            return []
        rows = DecisionRow.objects.using(self._db).filter(tenant=tenant, fingerprint=fingerprint).order_by("-id")
        return [mappers.decision_from_row(r) for r in list(rows[:limit])[::-1]]
