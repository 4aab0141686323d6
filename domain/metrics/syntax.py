"""A small scanner for selector text (``name{label="v", ...}``), shared by
``matchers.parse_matchers`` and ``query.Selector.parse``.

It yields raw pieces (names, operators, unescaped strings) with their positions and
builds no domain objects, so both modules can use it without an import cycle. Every
error says where the text stopped making sense, because these strings come from users
(dashboards, alert rules, the API) and "invalid selector" alone helps nobody.

String literals follow PromQL (Go) quoting: ``"..."`` and ``'...'`` with escapes, and
backquoted strings raw (no escapes). Escapes: ``\\a \\b \\f \\n \\r \\t \\v \\\\ \\" \\'``, ``\\xHH`` and
three-digit octal (ASCII only, since Go would produce a raw byte), ``\\uHHHH`` and
``\\UHHHHHHHH`` (no surrogates). Unknown escapes are refused, as PromQL refuses them,
so ``=~"a\\.b"`` is an error rather than silently meaning ``a.b``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from domain.errors import ValidationError

METRIC_NAME_TOKEN = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME_TOKEN = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_OPERATORS = ("=~", "!~", "!=", "=")
_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", '"': '"', "'": "'",
}
_HEX = frozenset("0123456789abcdefABCDEF")


class RawMatcher(NamedTuple):
    name: str
    op: str
    value: str
    pos: int


class Scanner:
    def __init__(self, text: str, field: str) -> None:
        if not isinstance(text, str):
            raise ValidationError(f"expected text, got {type(text).__name__}", field=field)
        self.text = text
        self.pos = 0
        self.field = field

    def error(self, message: str, pos: int | None = None) -> ValidationError:
        pos = self.pos if pos is None else pos
        near = self.text[pos : pos + 24]
        where = f"near {near!r}" if near else "at the end of the text"
        return ValidationError(f"{message} at position {pos} ({where})", field=self.field)

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def accept(self, token: str) -> bool:
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def token(self, pattern: re.Pattern[str]) -> str | None:
        m = pattern.match(self.text, self.pos)
        if not m:
            return None
        self.pos = m.end()
        return m.group()

    def operator(self) -> str | None:
        for op in _OPERATORS:
            if self.accept(op):
                return op
        return None

    def string(self) -> str:
        start = self.pos
        quote = self.text[start : start + 1]
        if quote not in ('"', "'", "`"):
            raise self.error("expected a quoted string")
        self.pos += 1
        if quote == "`":
            end = self.text.find("`", self.pos)
            if end < 0:
                raise self.error("unterminated raw string", start)
            self.pos = end + 1
            return self.text[start + 1 : end]
        out: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise self.error("unterminated quoted string", start)
            ch = text[self.pos]
            if ch == quote:
                self.pos += 1
                return "".join(out)
            if ch != "\\":
                out.append(ch)
                self.pos += 1
                continue
            out.append(self._escape())

    def _escape(self) -> str:
        start = self.pos
        kind = self.text[start + 1 : start + 2]
        if kind in _SIMPLE_ESCAPES:
            self.pos += 2
            return _SIMPLE_ESCAPES[kind]
        if kind in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[kind]
            digits = self.text[start + 2 : start + 2 + width]
            if len(digits) != width or not set(digits) <= _HEX:
                raise self.error(f"\\{kind} needs {width} hex digits", start)
            code = int(digits, 16)
            self.pos = start + 2 + width
        elif kind and kind in "01234567":
            digits = self.text[start + 1 : start + 4]
            if len(digits) != 3 or not set(digits) <= set("01234567"):
                raise self.error("an octal escape needs 3 digits", start)
            code = int(digits, 8)
            self.pos = start + 4
        else:
            raise self.error(f"unknown escape sequence '\\{kind}'", start)
        if kind in "x01234567" and code > 0x7F:
            raise self.error("byte escapes must be ASCII (use \\u for other characters)", start)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self.error("escape is not a valid Unicode character", start)
        return chr(code)

    def matcher_list(self, closing: str | None) -> list[RawMatcher]:
        """``name op "value"`` items separated by commas (a trailing comma is fine, as
        in PromQL), up to ``closing`` (consumed) or, without one, the end of the text."""
        items: list[RawMatcher] = []
        while True:
            self.skip_ws()
            if self._closed(closing):
                return items
            start = self.pos
            name = self.token(LABEL_NAME_TOKEN)
            if name is None:
                raise self.error("expected a label name")
            self.skip_ws()
            op = self.operator()
            if op is None:
                raise self.error("expected one of =, !=, =~, !~ after the label name")
            self.skip_ws()
            value = self.string()
            items.append(RawMatcher(name, op, value, start))
            self.skip_ws()
            if self.accept(","):
                continue
            if self._closed(closing):
                return items
            raise self.error(f"expected ',' or {closing!r}" if closing else "expected ','")

    def _closed(self, closing: str | None) -> bool:
        if closing is None:
            return self.at_end()
        if self.accept(closing):
            return True
        if self.at_end():
            raise self.error(f"missing closing {closing!r}")
        return False


def quote(value: str) -> str:
    """Double-quote ``value`` so that ``Scanner.string`` reads it back unchanged."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'
