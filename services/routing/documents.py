"""A tenant's routing as stored items and as one configuration document; validation of
each kind of item alone (errors name fields inside it) and of the whole (references:
routes name receivers and time intervals that exist); the one-time seed.

The whole document has the shape ``AlertingConfig.from_dict`` reads (Alertmanager's,
see services/pipeline/config.py): ``route``, ``receivers``, ``inhibit_rules``,
``time_intervals``. Inhibit rules are named here (the API addresses them by name);
the name is dropped when the document is assembled.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from domain.alerts.time_intervals import TimeInterval
from domain.errors import ValidationError
from ports.repositories import UnitOfWork
from ports.routing import ROOT, RoutingItem, RoutingKind
from services.identity.audit import Actor
from services.pipeline.config import AlertingConfig
from services.routing.secrets import ReceiverSecrets, redact

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
DEFAULT_DOCUMENT: Mapping[str, Any] = {"route": {"receiver": "default", "group_by": ["alertname"]},
                                       "receivers": [{"name": "default", "log_configs": [{}]}]}


def validate_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise ValidationError(f"a {what} name is 1-128 of [A-Za-z0-9_.:-], starting with a letter or digit", field="name")
    return value


def _alone(build: Callable[[], Any], prefix: str) -> Any:
    """Run a whole-document parser on one item; its errors name fields inside the item."""
    try:
        return build()
    except ValidationError as exc:
        field = exc.field or ""
        if field == prefix or field.startswith(prefix + ".") or field.startswith(prefix + "["):
            field = field[len(prefix):].lstrip(".")
        raise exc.renamed(field or None) from None


def check_receiver(plain: Mapping[str, Any]) -> None:
    validate_name(plain.get("name"), "receiver")
    _alone(lambda: AlertingConfig.from_dict({"route": {"receiver": plain["name"]}, "receivers": [plain]}), "receivers[0]")


def check_inhibit_rule(doc: Mapping[str, Any]) -> None:
    validate_name(doc.get("name"), "inhibit rule")
    rule = {k: v for k, v in doc.items() if k != "name"}
    _alone(lambda: AlertingConfig.from_dict({"route": {"receiver": "x"}, "receivers": [{"name": "x"}],
                                             "inhibit_rules": [rule]}), "inhibit_rules[0]")


def check_time_interval(doc: Mapping[str, Any]) -> None:
    TimeInterval.from_dict(doc)


def check_tree(doc: Mapping[str, Any]) -> None:
    """The tree's own shape (references are checked with the whole configuration)."""
    if not isinstance(doc, Mapping):
        raise ValidationError("the routing tree is an object (the root route)", field=None)


def whole(uow: UnitOfWork, tenant: str, secrets: ReceiverSecrets | None) -> dict[str, Any]:
    """The tenant's configuration document: plain secrets with ``secrets``, redacted without."""
    tree = uow.routing.get(tenant, RoutingKind.TREE, ROOT)
    receivers = uow.routing.list(tenant, RoutingKind.RECEIVER)
    return {
        "route": copy.deepcopy(dict(tree.document)) if tree else dict(DEFAULT_DOCUMENT["route"]),
        "receivers": [secrets.reveal(tenant, r.document) if secrets else redact(r.document) for r in receivers],
        "inhibit_rules": [copy.deepcopy(dict(r.document)) for r in uow.routing.list(tenant, RoutingKind.INHIBIT_RULE)],
        "time_intervals": [copy.deepcopy(dict(t.document)) for t in uow.routing.list(tenant, RoutingKind.TIME_INTERVAL)],
    }


def build_config(doc: Mapping[str, Any]) -> AlertingConfig:
    """The pipeline's configuration from a whole document (inhibit rules' names dropped)."""
    rules = [{k: v for k, v in r.items() if k != "name"} for r in doc.get("inhibit_rules", [])]
    return AlertingConfig.from_dict({**doc, "inhibit_rules": rules})


def check_whole(uow: UnitOfWork, tenant: str, secrets: ReceiverSecrets) -> AlertingConfig:
    """Refuse a change that leaves the configuration inconsistent (a route naming a
    receiver or time interval that is gone ...): raised inside the unit of work, so the
    change rolls back."""
    return build_config(whole(uow, tenant, secrets))


def items_of(doc: Mapping[str, Any]) -> list[tuple[RoutingKind, str, dict[str, Any]]]:
    """A whole document split into items (inhibit rules without a name get ``inhibit-<n>``)."""
    out: list[tuple[RoutingKind, str, dict[str, Any]]] = [(RoutingKind.TREE, ROOT, copy.deepcopy(dict(doc["route"])))]
    for i, r in enumerate(doc.get("receivers", [])):
        out.append((RoutingKind.RECEIVER, r.get("name", ""), copy.deepcopy(dict(r))))
    for i, r in enumerate(doc.get("inhibit_rules", [])):
        named = {"name": f"inhibit-{i + 1}", **copy.deepcopy(dict(r))}
        out.append((RoutingKind.INHIBIT_RULE, named["name"], named))
    for t in doc.get("time_intervals", []):
        out.append((RoutingKind.TIME_INTERVAL, t.get("name", ""), copy.deepcopy(dict(t))))
    return out


def replace_all(uow: UnitOfWork, tenant: str, doc: Mapping[str, Any], secrets: ReceiverSecrets, actor: Actor,
                now_ms: int, action: str) -> list[RoutingItem]:
    """Make the stored configuration ``doc`` (every item; those not in it removed), each
    item's version one above what it replaces, receivers' secrets merged and sealed, one
    audit entry for the whole. The caller bumps the revision."""
    before = whole(uow, tenant, None)
    current = {(i.kind, i.name): i for kind in RoutingKind for i in uow.routing.list(tenant, kind)}
    written: list[RoutingItem] = []
    wanted = items_of(doc)
    for kind, name, document in wanted:
        old = current.pop((kind, name), None)
        if kind is RoutingKind.RECEIVER:
            document = secrets.merge(tenant, document, old.document if old else None)
        item = RoutingItem(tenant, kind, name, document, (old.version + 1) if old else 1, actor.subject, now_ms)
        if old is None:
            uow.routing.add(item)
        elif dict(old.document) != document:
            uow.routing.replace(item, old.version)
        else:
            item = old
        written.append(item)
    for old in current.values():
        uow.routing.delete(tenant, old.kind, old.name, old.version)
    check_whole(uow, tenant, secrets)
    uow.audit.add(actor.entry(tenant, action, "routing", now_ms, before=before, after=whole(uow, tenant, None)))
    return written
