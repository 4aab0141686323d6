"""Reading Prometheus rule files (the ``groups:`` format ``promtool check rules``
accepts) into ``RuleGroup`` values, with promtool's checks and every problem reported
at once, each naming its group, rule and field.

The input is the document already read from YAML or JSON: mappings, lists, and
scalars, either plain Python values (JSON) or ``Scalar`` (YAML, where a scalar's
text and whether it was quoted decide how Go would read it). PromQL is checked by a
function the caller passes in (the parser lives outside the domain).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from domain.alerts.rule_groups import AlertingRule, PromRule, RecordingRule, RuleGroup
from domain.alerts.templates import check_template
from domain.errors import ValidationError
from domain.metrics.durations import parse_duration_ms

LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
GROUP_FIELDS = ("name", "interval", "limit", "rules")
RULE_FIELDS = ("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations")
ExprCheck = Callable[[str], "str | None"]  # why the PromQL does not parse, or None


@dataclass(frozen=True, slots=True)
class Scalar:
    """A YAML scalar: its text, the type a plain scalar resolves to (``str`` for
    quoted ones: ``int``, ``float``, ``bool``, ``null`` or ``str``) and its line."""

    text: str
    kind: str = "str"
    line: int = 0


class _Errors:
    """Every problem found; ``title`` (the group and rule being read) prefixes messages."""

    def __init__(self) -> None:
        self.items: list[ValidationError] = []
        self.title = ""

    def add(self, message: str, field: str) -> None:
        self.items.append(ValidationError(f"{self.title}: {message}" if self.title else message, field=field))


def _kind(value: object) -> str:
    if isinstance(value, Scalar):
        return value.kind
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "map" if isinstance(value, Mapping) else "seq" if isinstance(value, list) else "unknown"


def _text(value: object, where: str, errors: _Errors) -> str | None:
    """A string field: any scalar's text (as Go's YAML decoder reads scalars into
    strings); null is empty. None (after an error) for mappings and lists."""
    if isinstance(value, Scalar):
        return "" if value.kind == "null" else value.text
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    errors.add(f"expected a string, got a {'mapping' if isinstance(value, Mapping) else 'list'}", where)
    return None


def _duration(value: object, where: str, errors: _Errors) -> int:
    if _kind(value) == "null":
        return 0
    text = _text(value, where, errors)
    if text is None:
        return 0
    if text == "":
        errors.add("empty duration string", where)
        return 0
    try:
        return parse_duration_ms(text)
    except ValueError as exc:
        errors.add(str(exc), where)
        return 0


def _int(value: object, where: str, errors: _Errors) -> int:
    kind = _kind(value)
    if kind == "null":
        return 0
    if kind == "int":
        return _go_int(value.text) if isinstance(value, Scalar) else int(value)  # type: ignore[arg-type]
    if kind == "float":
        number = float(value.text) if isinstance(value, Scalar) else float(value)  # type: ignore[arg-type]
        if number == int(number):
            return int(number)
    shown = value.text if isinstance(value, Scalar) else value
    errors.add(f"cannot read {shown!r} as an integer", where)
    return 0


def _go_int(text: str) -> int:
    """Go's ``ParseInt(text, 0, 64)`` of a YAML integer: a leading 0 means octal."""
    body = text.lstrip("+-").replace("_", "")
    sign = -1 if text.startswith("-") else 1
    if len(body) > 1 and body[0] == "0" and body[1].isdigit():
        return sign * int(body, 8)
    return sign * int(body, 0)


def _mapping(value: object, where: str, errors: _Errors) -> Mapping | None:
    if _kind(value) == "null":
        return {}
    if isinstance(value, Mapping):
        return value
    errors.add("expected a mapping", where)
    return None


def _unknown(doc: Mapping, known: tuple[str, ...], where: str, what: str, errors: _Errors) -> None:
    for key in doc:
        if key not in known:
            errors.add(f"field {key} not found in {what} (it has {', '.join(known)})", f"{where}.{key}" if where else key)


def parse_groups(doc: object, tenant: str, *, check_expr: ExprCheck, source: str = "") -> tuple[list[RuleGroup], list[ValidationError]]:
    """The groups of a rule file document, and every problem found (none: accepted)."""
    errors = _Errors()
    top = _mapping(doc, "", errors)
    if top is None:
        return [], errors.items
    _unknown(top, ("groups",), "", "a rule file", errors)
    items = top.get("groups")
    if _kind(items) == "null":
        return [], errors.items
    if not isinstance(items, list):
        errors.add("expected a list of groups", "groups")
        return [], errors.items
    groups, seen = [], set()
    for i, item in enumerate(items):
        group = _group(item, f"groups[{i}]", tenant, source, check_expr, errors)
        if group is None:
            continue
        if group.name in seen and group.name:
            errors.add(f'group "{group.name}": groupname is repeated in the same file', f"groups[{i}].name")
        seen.add(group.name)
        groups.append(group)
    return groups, errors.items


def _group(item: object, where: str, tenant: str, source: str, check_expr: ExprCheck, errors: _Errors) -> RuleGroup | None:
    errors.title = ""
    doc = _mapping(item, where, errors)
    if doc is None:
        return None
    name = _text(doc.get("name"), f"{where}.name", errors) or ""
    if not name:
        errors.add("Groupname must not be empty", f"{where}.name")
    errors.title = f'group "{name}"'
    _unknown(doc, GROUP_FIELDS, where, "a rule group", errors)
    interval = _duration(doc.get("interval"), f"{where}.interval", errors)
    limit = _int(doc.get("limit"), f"{where}.limit", errors)
    raw_rules = doc.get("rules")
    rules: list[PromRule] = []
    if _kind(raw_rules) != "null":
        if not isinstance(raw_rules, list):
            errors.add("expected a list of rules", f"{where}.rules")
        else:
            for j, raw in enumerate(raw_rules):
                rule = _rule(raw, f"{where}.rules[{j}]", f'group "{name}", rule {j + 1}', check_expr, errors)
                errors.title = f'group "{name}"'
                if rule is not None:
                    rules.append(rule)
    errors.title = ""
    return RuleGroup(tenant, name, tuple(rules), interval, limit, source)


def _pairs(value: object, where: str, errors: _Errors) -> dict[str, str]:
    doc = _mapping(value, where, errors)
    out: dict[str, str] = {}
    for key, item in (doc or {}).items():
        text = _text(item, f"{where}.{key}", errors)
        if text is not None:
            out[str(key)] = text
    return out


def _rule(raw: object, where: str, title: str, check_expr: ExprCheck, errors: _Errors) -> PromRule | None:
    errors.title = title
    doc = _mapping(raw, where, errors)
    if doc is None:
        return None
    record = _text(doc.get("record"), f"{where}.record", errors) or ""
    alert = _text(doc.get("alert"), f"{where}.alert", errors) or ""
    title = errors.title = f'{title}, "{alert or record}"'
    _unknown(doc, RULE_FIELDS, where, "a rule", errors)
    problems: list[tuple[str, str]] = []  # (message, field) of this rule
    if record and alert:
        problems.append(("only one of 'record' and 'alert' must be set", "alert"))
    if not record and not alert:
        problems.append(("one of 'record' or 'alert' must be set", "alert"))
    expr = _text(doc.get("expr"), f"{where}.expr", errors) or ""
    if not expr:
        problems.append(("field 'expr' must be set in rule", "expr"))
    else:
        reason = check_expr(expr)
        if reason:
            problems.append((f"could not parse expression: {reason}", "expr"))
    for_ms = _duration(doc.get("for"), f"{where}.for", errors)
    keep_ms = _duration(doc.get("keep_firing_for"), f"{where}.keep_firing_for", errors)
    labels = _pairs(doc.get("labels"), f"{where}.labels", errors)
    annotations = _pairs(doc.get("annotations"), f"{where}.annotations", errors)
    if record:
        if annotations:
            problems.append(("invalid field 'annotations' in recording rule", "annotations"))
        if for_ms:
            problems.append(("invalid field 'for' in recording rule", "for"))
        if keep_ms:
            problems.append(("invalid field 'keep_firing_for' in recording rule", "keep_firing_for"))
        if not METRIC_NAME.match(record):
            problems.append((f"invalid recording rule name: {record}", "record"))
    for key in labels:
        if not LABEL_NAME.match(key) or key == "__name__":
            problems.append((f"invalid label name: {key}", f"labels.{key}"))
    for key in annotations:
        if not LABEL_NAME.match(key):
            problems.append((f"invalid annotation name: {key}", f"annotations.{key}"))
    if alert:
        for what, pairs in (("label", labels), ("annotation", annotations)):
            for key, text in pairs.items():
                reason = check_template(text, f"__alert_{alert}")
                if reason:
                    problems.append((f"{what} {key!r}: {reason}", f"{what}s.{key}"))
    for message, field in problems:
        errors.add(message, f"{where}.{field}")
    if problems:
        return None
    if alert:
        return AlertingRule(alert, expr, for_ms, keep_ms, tuple(sorted(labels.items())), tuple(sorted(annotations.items())))
    return RecordingRule(record, expr, tuple(sorted(labels.items())))
