"""Rule group use cases for the API and the CLI: create, replace, delete, list, import
Prometheus rule files (all groups of a file or none), export them, and the overview the
Prometheus ``rules`` and ``alerts`` endpoints show (groups, how their last evaluation
went, their alerts, and the streaming rules beside them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.alerts.rule_groups import GroupStatus, RuleGroup
from domain.alerts.state import Alert, AlertState
from domain.errors import Conflict, NotFound, ValidationError
from ports.cache import PubSub
from ports.repositories import AlertRule, UnitOfWork, UnitOfWorkRunner
from ports.state import EvaluatorStateStore
from services.config_changes import announce
from services.promrules.manager import status_key
from services.rule_files import dump_groups, groups_from_document, load_groups


ACTIVE = (AlertState.PENDING.value, AlertState.FIRING.value)
CONFIG_KIND = "rule_groups"  # the ConfigWatcher kind the rule managers reload on


@dataclass
class RulesOverview:
    groups: list[RuleGroup] = field(default_factory=list)
    statuses: dict[str, GroupStatus] = field(default_factory=dict)  # by group name
    alerts: dict[str, list[Alert]] = field(default_factory=dict)  # pending and firing ones, by rule id
    streaming: list[AlertRule] = field(default_factory=list)


class RuleGroupService:
    """Changes are announced (``config_changed``, kind ``rule_groups``) after commit, so
    the rule managers take them up at once rather than at their next refresh."""

    def __init__(self, uow: UnitOfWorkRunner, state: EvaluatorStateStore | None = None,
                 pubsub: PubSub | None = None) -> None:
        self._uow = uow
        self._state = state
        self._pubsub = pubsub

    async def _changed(self, tenant: str) -> None:
        await announce(self._pubsub, tenant, CONFIG_KIND)

    async def list(self, tenant: str) -> list[RuleGroup]:
        return await self._uow.run(lambda u: u.rule_groups.list(tenant))

    async def get(self, tenant: str, name: str) -> RuleGroup:
        group = await self._uow.run(lambda u: u.rule_groups.get(tenant, name))
        if group is None:
            raise NotFound(f"no rule group {name!r}")
        return group

    @staticmethod
    def parse(tenant: str, doc: object, *, name: str | None = None) -> RuleGroup:
        """One group from its JSON document (Prometheus' format); ValidationError or
        BatchRejected naming every bad field. ``name``: the one the URL gives."""
        if name is not None and isinstance(doc, dict) and "name" not in doc:
            doc = {**doc, "name": name}
        (group,) = groups_from_document({"groups": [doc]}, tenant)
        if name is not None and group.name != name:
            raise ValidationError(f"the body names group {group.name!r}, the URL {name!r}", field="name")
        return group

    async def create(self, group: RuleGroup) -> RuleGroup:
        def work(u: UnitOfWork) -> None:
            if u.rule_groups.get(group.tenant, group.name) is not None:
                raise Conflict(f"rule group {group.name!r} already exists; PUT replaces it")
            u.rule_groups.save(group)

        await self._uow.run(work)
        await self._changed(group.tenant)
        return group

    async def replace(self, group: RuleGroup) -> RuleGroup:
        await self._uow.run(lambda u: u.rule_groups.save(group))
        await self._changed(group.tenant)
        return group

    async def remove(self, tenant: str, name: str) -> None:
        if not await self._uow.run(lambda u: u.rule_groups.remove(tenant, name)):
            raise NotFound(f"no rule group {name!r}")
        await self._changed(tenant)

    async def import_file(self, tenant: str, text: str, source: str = "") -> list[RuleGroup]:
        """Every group of a Prometheus rule file, saved together (replacing groups of the
        same names), or none when any problem is found (BatchRejected lists them all)."""
        groups = load_groups(text, tenant, source)

        def work(u: UnitOfWork) -> None:
            for g in groups:
                u.rule_groups.save(g)

        await self._uow.run(work)
        await self._changed(tenant)
        return groups

    async def export(self, tenant: str, names: Sequence[str] = ()) -> str:
        groups = await self.list(tenant)
        if names:
            groups = [g for g in groups if g.name in set(names)]
        return dump_groups(groups)

    async def statuses(self, tenant: str, names: Sequence[str]) -> dict[str, GroupStatus]:
        if self._state is None or not names:
            return {}
        docs = await self._state.load([status_key(tenant, n) for n in names])
        return {key[1].removeprefix("rule-group:"): GroupStatus.from_document(doc) for key, doc in docs.items()}

    async def overview(self, tenant: str) -> RulesOverview:
        def read(u: UnitOfWork) -> tuple[list[RuleGroup], list[Alert], list[AlertRule]]:
            return u.rule_groups.list(tenant), u.alerts.list(tenant, ACTIVE), u.rules.list(tenant)

        groups, alerts, streaming = await self._uow.run(read)
        by_rule: dict[str, list[Alert]] = {}
        for alert in alerts:
            by_rule.setdefault(alert.rule_id, []).append(alert)
        statuses = await self.statuses(tenant, [g.name for g in groups])
        return RulesOverview(groups, statuses, by_rule, streaming)
