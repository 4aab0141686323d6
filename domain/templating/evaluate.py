"""Running a parsed template: Go's ``text/template`` semantics for what the parser
accepts (truth of values, pipelines passing their value as the last argument, the
built-in functions, variables scoped to their block, ``missingkey=zero`` maps).

Output is capped (``max_output``) and every ``range`` counts its iterations against
``max_steps``, so a template written by a tenant cannot make the server spin."""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from domain.templating.gofmt import GoStruct, format_value, sprint, sprintf, sprintln, type_name
from domain.templating.parser import Action, Block, Jump, Pipe, Text


class TemplateExecError(ValueError):
    """The template parsed but failed while running (a function's error, a bad field)."""


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def truth(value: Any) -> bool:
    """Go's ``if``: false, 0, "", nil and empty maps and slices are false."""
    if isinstance(value, GoStruct):
        return True
    return bool(value)


def _basic(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return None


def _comparable(a: Any, b: Any) -> None:
    ka, kb = _basic(a), _basic(b)
    if ka is None or kb is None:
        raise TemplateExecError(f"invalid type for comparison: {type_name(a if ka is None else b)}")
    if ka != kb:
        raise TemplateExecError("incompatible types for comparison")


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise TemplateExecError("missing arguments for comparison")
    for other in others:
        if first is None or other is None:
            if first is other:
                return True
            continue
        _comparable(first, other)
        if first == other:
            return True
    return False


def _order(op: str) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        _comparable(a, b)
        if isinstance(a, bool):
            raise TemplateExecError("invalid type for comparison")
        return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]

    return compare


def _len(value: Any) -> int:
    if isinstance(value, (str, list, tuple, dict)):
        return len(value.encode()) if isinstance(value, str) else len(value)
    raise TemplateExecError(f"len of type {type_name(value)}")


def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(item, dict):
            item = item.get(key, "")
        elif isinstance(item, (list, tuple, str)) and isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(item):
                raise TemplateExecError(f"error calling index: index out of range: {key}")
            item = item[key]
        else:
            raise TemplateExecError(f"error calling index: can't index item of type {type_name(item)}")
    return item


BUILTINS: dict[str, Callable[..., Any]] = {
    "not": lambda v: not truth(v),
    "len": _len,
    "index": _index,
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": _order("lt"),
    "le": _order("le"),
    "gt": _order("gt"),
    "ge": _order("ge"),
    "print": sprint,
    "printf": lambda fmt, *args: sprintf(fmt, *args),
    "println": sprintln,
    "html": lambda *args: html.escape(sprint(*args), quote=True).replace("&#x27;", "&#39;"),
    "urlquery": lambda *args: urllib.parse.quote_plus(sprint(*args)),
}
SHORT_CIRCUIT = frozenset({"and", "or"})


class Executor:
    def __init__(self, name: str, functions: Mapping[str, Callable[..., Any]], *, max_output: int,
                 max_steps: int) -> None:
        self.name = name
        self.functions = functions
        self.max_output = max_output
        self.steps = max_steps
        self.out: list[str] = []
        self.size = 0
        self.vars: list[dict[str, Any]] = []

    def fail(self, line: int, message: str) -> TemplateExecError:
        return TemplateExecError(f"template: {self.name}:{line}: executing \"{self.name}\": {message}")

    def run(self, nodes: list, data: Any) -> str:
        self.vars = [{"$": data}]
        self.nodes(nodes, data)
        return "".join(self.out)

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.max_output:
            raise TemplateExecError(f"template: {self.name}: output longer than {self.max_output} characters")
        self.out.append(text)

    def lookup(self, name: str) -> Any:
        for scope in reversed(self.vars):
            if name in scope:
                return scope[name]
        raise TemplateExecError(f"undefined variable: {name}")

    def assign(self, name: str, value: Any) -> None:
        for scope in reversed(self.vars):
            if name in scope:
                scope[name] = value
                return
        raise TemplateExecError(f"undefined variable: {name}")

    # -- nodes ---------------------------------------------------------------------------

    def nodes(self, nodes: list, dot: Any) -> None:
        for node in nodes:
            if isinstance(node, Text):
                self.write(node.text)
            elif isinstance(node, Action):
                value = self.pipe(node.pipe, dot, node.line)
                if not node.pipe.declare:
                    self.write(format_value(value) if not isinstance(value, str) else value)
            elif isinstance(node, Block):
                self.block(node, dot)
            elif isinstance(node, Jump):
                raise _Break() if node.kind == "break" else _Continue()

    def scoped(self, nodes: list, dot: Any, preset: dict[str, Any] | None = None) -> None:
        self.vars.append(dict(preset or {}))
        try:
            self.nodes(nodes, dot)
        finally:
            self.vars.pop()

    def block(self, node: Block, dot: Any) -> None:
        self.vars.append({})
        try:
            value = self.pipe(node.pipe, dot, node.line)
            declared = dict(self.vars[-1])
        finally:
            self.vars.pop()
        if node.kind == "range":
            self.range(node, dot, value, declared)
            return
        if truth(value):
            self.scoped(node.body, value if node.kind == "with" else dot, declared)
        elif node.otherwise is not None:
            self.scoped(node.otherwise, dot, declared if node.kind == "if" else None)

    def range(self, node: Block, dot: Any, value: Any, declared: dict[str, Any]) -> None:
        if value is None:
            items: list[tuple[Any, Any]] = []
        elif isinstance(value, dict):
            items = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, (list, tuple)):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(max(0, value))]
        else:
            raise self.fail(node.line, f"range can't iterate over {format_value(value)}")
        names = node.pipe.declare
        for key, element in items:
            self.steps -= 1
            if self.steps < 0:
                raise self.fail(node.line, "range: too many iterations")
            preset = {}
            if len(names) == 1:
                preset[names[0]] = element
            elif len(names) == 2:
                preset[names[0]], preset[names[1]] = key, element
            try:
                self.scoped(node.body, element, preset)
            except _Break:
                break
            except _Continue:
                continue
        if not items and node.otherwise is not None:
            self.scoped(node.otherwise, dot)

    # -- pipelines ------------------------------------------------------------------------

    def pipe(self, pipe: Pipe, dot: Any, line: int) -> Any:
        value: Any = None
        for i, command in enumerate(pipe.commands):
            value = self.command(command, dot, line, value if i else _NONE)
        for name in pipe.declare[-1:] if len(pipe.declare) == 1 else ():
            if pipe.assign:
                self.assign(name, value)
            else:
                self.vars[-1][name] = value
        return value

    def command(self, command: list[tuple], dot: Any, line: int, piped: Any) -> Any:
        head = command[0]
        if head[0] == "ident":
            name = head[1]
            if name in SHORT_CIRCUIT:
                return self.short_circuit(name, command[1:], dot, line, piped)
            args = [self.operand(o, dot, line) for o in command[1:]]
            if piped is not _NONE:
                args.append(piped)
            return self.call(name, args, line)
        if piped is not _NONE:
            raise self.fail(line, f"can't give argument to non-function {head[0]}")
        return self.operand(head, dot, line)

    def short_circuit(self, name: str, operands: list[tuple], dot: Any, line: int, piped: Any) -> Any:
        thunks = [lambda o=o: self.operand(o, dot, line) for o in operands]
        if piped is not _NONE:
            thunks.append(lambda: piped)
        if not thunks:
            raise self.fail(line, f"wrong number of args for {name}: want at least 1 got 0")
        value = None
        for thunk in thunks:
            value = thunk()
            if truth(value) != (name == "and"):
                return value
        return value

    def call(self, name: str, args: list[Any], line: int) -> Any:
        fn = BUILTINS.get(name) or self.functions.get(name)
        if fn is None:
            raise self.fail(line, f"function \"{name}\" not defined")
        try:
            return fn(*args)
        except TemplateExecError as exc:
            raise self.fail(line, f"error calling {name}: {exc}") from None
        except TypeError as exc:
            raise self.fail(line, f"wrong number of args for {name}: {exc}") from None
        except (ValueError, ArithmeticError, LookupError) as exc:
            raise self.fail(line, f"error calling {name}: {exc}") from None

    def operand(self, operand: tuple, dot: Any, line: int) -> Any:
        kind = operand[0]
        if kind in ("string", "number", "bool"):
            return operand[1]
        if kind == "nil":
            return None
        if kind == "dot":
            return dot
        if kind == "field":
            return self.fields(dot, operand[1], line)
        if kind == "var":
            return self.fields(self.lookup(operand[1]), operand[2], line)
        if kind == "ident":
            return self.call(operand[1], [], line)
        if kind == "pipe":
            return self.pipe(operand[1], dot, line)
        if kind == "chain":
            return self.fields(self.pipe(operand[1], dot, line), operand[2], line)
        raise self.fail(line, f"unknown operand {kind}")

    def fields(self, value: Any, names: list[str], line: int) -> Any:
        for name in names:
            if isinstance(value, dict):
                value = value.get(name, "")  # missingkey=zero, as Prometheus runs its templates
            elif isinstance(value, GoStruct) and name in value.fields:
                value = value.fields[name]
            elif value is None:
                raise self.fail(line, f"nil pointer evaluating interface {{}}.{name}")
            else:
                raise self.fail(line, f"can't evaluate field {name} in type {type_name(value)}")
        return value


_NONE = object()  # "no piped value" (None is Go's nil, a value)
