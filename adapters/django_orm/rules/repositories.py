"""The rule group repository over ``oe_rules`` (ports.repositories.RuleGroupRepository)."""

from __future__ import annotations

from adapters.django_orm.rows import upsert
from adapters.django_orm.rules.models import RuleGroup as GroupRow
from domain.alerts.rule_groups import RuleGroup


def _fields(group: RuleGroup) -> dict:
    return {"tenant": group.tenant, "name": group.name, "source": group.source, "interval_ms": group.interval_ms,
            "limit": group.limit, "rules": group.document()["rules"]}


def _group(row: GroupRow) -> RuleGroup:
    doc = {"name": row.name, "rules": row.rules, "limit": row.limit}
    return RuleGroup.from_document(row.tenant, doc, row.source).with_interval(row.interval_ms)


class DjangoRuleGroupRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def _rows(self):
        return GroupRow.objects.using(self._db)

    def save(self, group: RuleGroup) -> None:
        upsert(GroupRow, self._db, _fields(group), ["tenant", "name"])

    def get(self, tenant: str, name: str) -> RuleGroup | None:
        row = self._rows().filter(tenant=tenant, name=name).first()
        return _group(row) if row is not None else None

    def list(self, tenant: str | None = None) -> list[RuleGroup]:
        rows = self._rows() if tenant is None else self._rows().filter(tenant=tenant)
        return sorted((_group(r) for r in rows), key=lambda g: (g.tenant, g.name))

    def remove(self, tenant: str, name: str) -> bool:
        deleted, _ = self._rows().filter(tenant=tenant, name=name).delete()
        return deleted > 0
