"""Go's ``text/template`` language (the subset Prometheus' alert templates use), pure
Python: ``{{ $labels.instance }}``, pipelines (``{{ $value | humanize }}``),
``if``/``else``/``range``/``with``, variables, Go's built-in functions, and the
functions a caller adds (``domain/alerts/templates.py``: Prometheus' own).

Not supported (refused when parsing): ``define``, ``template`` and ``block`` (no
template can call another, so nothing recurses), method calls on values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.templating.evaluate import BUILTINS, SHORT_CIRCUIT, Executor, TemplateExecError
from domain.templating.gofmt import GoStruct
from domain.templating.lexer import TemplateSyntaxError
from domain.templating.parser import parse

MAX_OUTPUT = 64 * 1024  # characters a template may produce
MAX_STEPS = 10_000  # range iterations per run

__all__ = ["GoStruct", "Template", "TemplateExecError", "TemplateSyntaxError"]


@dataclass(frozen=True)
class Template:
    """A parsed template; ``functions`` are the extra functions it may call."""

    name: str
    nodes: list
    functions: Mapping[str, Callable[..., Any]]

    @classmethod
    def parse(cls, text: str, name: str, functions: Mapping[str, Callable[..., Any]] | None = None) -> "Template":
        """TemplateSyntaxError if ``text`` does not parse (an unknown function, an
        undefined variable, an unclosed action...)."""
        functions = dict(functions or {})
        known = set(BUILTINS) | SHORT_CIRCUIT | set(functions)
        return cls(name, parse(text, name, known), functions)

    def execute(self, data: Any, functions: Mapping[str, Callable[..., Any]] | None = None, *,
                max_output: int = MAX_OUTPUT, max_steps: int = MAX_STEPS) -> str:
        """The text; TemplateExecError if it fails. ``functions`` replace those given
        to ``parse`` (same names: a function bound to this run, such as ``query``)."""
        merged = {**self.functions, **(functions or {})}
        return Executor(self.name, merged, max_output=max_output, max_steps=max_steps).run(self.nodes, data)
