"""Prometheus rule files in and out: YAML read the way Prometheus' Go YAML decoder
reads it (YAML 1.2 scalars: ``yes`` and ``on`` are text, a mapping key given twice is
an error, only the first document counts), checked by ``domain.alerts.rule_files``
with PromQL checked by our parser; and groups written back as YAML that
``promtool check rules`` accepts."""

from __future__ import annotations

import re
from collections.abc import Iterable

import yaml

from domain.alerts.rule_files import Scalar, parse_groups
from domain.alerts.rule_groups import RuleGroup
from domain.errors import BatchRejected, ValidationError
from domain.promql.errors import PromQLError
from services.promql import parsing

# YAML 1.2 core schema resolution of plain scalars (what Go's yaml.v3 resolves)
_NULL = re.compile(r"(?:~|null|Null|NULL|)\Z")
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT = re.compile(r"[-+]?(?:[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+)\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?\Z|[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z")
MAX_FILE_BYTES = 4 * 1024 * 1024


def check_expr(text: str) -> str | None:
    """Why ``text`` is not PromQL our engine runs, or None."""
    try:
        parsing.parse(text)
    except PromQLError as exc:
        return exc.message
    except ValidationError as exc:
        return exc.message
    return None


def _plain_kind(text: str) -> str:
    if _NULL.match(text):
        return "null"
    if _BOOL.match(text):
        return "bool"
    if _INT.match(text):
        return "int"
    if _FLOAT.match(text):
        return "float"
    return "str"


def _convert(node: yaml.Node, where: str) -> object:
    if isinstance(node, yaml.ScalarNode):
        kind = _plain_kind(node.value) if node.style in (None, "") else "str"
        return Scalar(node.value, kind, node.start_mark.line + 1)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(n, f"{where}[{i}]") for i, n in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ValidationError(f"line {key_node.start_mark.line + 1}: a mapping key must be a scalar", field=where)
            key = key_node.value
            if key in out:
                field = f"{where}.{key}" if where else key
                raise ValidationError(f'{field}: line {key_node.start_mark.line + 1}: mapping key "{key}" already defined',
                                      field=field)
            out[key] = _convert(value_node, f"{where}.{key}" if where else key)
        return out
    raise ValidationError("unsupported YAML node", field=where)


def read_yaml(text: str) -> object:
    """The first YAML document of ``text`` with scalars as ``Scalar``; ValidationError."""
    if len(text.encode()) > MAX_FILE_BYTES:
        raise ValidationError(f"the rule file is larger than {MAX_FILE_BYTES} bytes", field="body")
    try:
        documents = yaml.compose_all(text, Loader=yaml.SafeLoader)
        first = next(iter(documents), None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValidationError(f"{where}{problem}", field="body") from None
    return {} if first is None else _convert(first, "")


def load_groups(text: str, tenant: str, source: str = "") -> list[RuleGroup]:
    """The groups of a rule file; BatchRejected listing every problem (nothing partial)."""
    groups, errors = parse_groups(read_yaml(text), tenant, check_expr=check_expr, source=source)
    if errors:
        raise BatchRejected(errors)
    return groups


def groups_from_document(doc: object, tenant: str, source: str = "") -> list[RuleGroup]:
    """The same from a document already parsed (a JSON request body)."""
    groups, errors = parse_groups(doc, tenant, check_expr=check_expr, source=source)
    if errors:
        raise BatchRejected(errors)
    return groups


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.split("\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_groups(groups: Iterable[RuleGroup]) -> str:
    """A rule file (``groups:``) holding ``groups``."""
    return yaml.dump({"groups": [g.document() for g in groups]}, Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, default_flow_style=False, width=1_000_000)
