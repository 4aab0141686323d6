"""Tokens of Go's ``text/template`` language: text between actions, and inside
``{{ ... }}`` identifiers, fields, variables, literals and punctuation; ``{{-`` and
``-}}`` trim the whitespace next to them, ``{{/* */}}`` is a comment."""

from __future__ import annotations

import re
from dataclasses import dataclass

LEFT, RIGHT = "{{", "}}"
KEYWORDS = frozenset({"if", "else", "end", "range", "with", "break", "continue", "define", "template", "block"})


class TemplateSyntaxError(ValueError):
    """The template does not parse; the message says where (``name:line: reason``)."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # text, ident, keyword, field, var, string, number, bool, nil, dot, char, pipe, lparen, rparen,
    #            declare, assign, comma, open, close
    value: str
    line: int


_ACTION = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)
  | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)(?![A-Za-z_.]))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<declare>:=)
  | (?P<punct>[|(),=.])
""", re.VERBOSE)
_PUNCT = {"|": "pipe", "(": "lparen", ")": "rparen", ",": "comma", "=": "assign", ".": "dot"}


def lex(text: str, name: str) -> list[Token]:
    tokens: list[Token] = []
    pos, line = 0, 1
    while pos < len(text):
        start = text.find(LEFT, pos)
        if start < 0:
            tokens.append(Token("text", text[pos:], line))
            break
        body = start + 2
        trim_left = text.startswith("-", body) and body + 1 < len(text) and text[body + 1] in " \t\r\n"
        chunk = text[pos:start]
        if trim_left:
            chunk = chunk.rstrip(" \t\r\n")
            body += 2
        if chunk:
            tokens.append(Token("text", chunk, line))
        line += text.count("\n", pos, start)
        end = _action_end(text, body, name, line)
        inner = text[body:end]
        trim_right = inner.endswith("-") and len(inner) >= 2 and inner[-2] in " \t\r\n"
        if trim_right:
            inner = inner[:-1]
        stripped = inner.strip(" \t\r\n")
        if stripped.startswith("/*"):
            if not stripped.endswith("*/"):
                raise TemplateSyntaxError(f"template: {name}:{line}: unclosed comment")
        else:
            tokens.append(Token("open", LEFT, line))
            tokens += _action_tokens(inner, name, line)
            tokens.append(Token("close", RIGHT, line))
        line += text.count("\n", start, end + 2)
        pos = end + 2
        if trim_right:
            rest = len(text) - len(text[pos:].lstrip(" \t\r\n"))
            line += text.count("\n", pos, rest)
            pos = rest
    return tokens


def _action_end(text: str, body: int, name: str, line: int) -> int:
    """Where the action's ``}}`` is, skipping quoted strings (they may hold ``}}``)."""
    i = body
    while i < len(text):
        c = text[i]
        if text.startswith(RIGHT, i):
            return i
        if c in "\"'`":
            j = i + 1
            while j < len(text) and text[j] != c:
                if c != "`" and text[j] == "\\":
                    j += 1
                if c != "`" and j < len(text) and text[j] == "\n":
                    raise TemplateSyntaxError(f"template: {name}:{line}: unterminated quoted string")
                j += 1
            if j >= len(text):
                what = "raw quoted string" if c == "`" else "quoted string" if c == '"' else "character constant"
                raise TemplateSyntaxError(f"template: {name}:{line}: unterminated {what}")
            i = j + 1
            continue
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise TemplateSyntaxError(f"template: {name}:{line}: unclosed comment")
            i = close + 2
            continue
        i += 1
    raise TemplateSyntaxError(f"template: {name}:{line}: unclosed action")


def _action_tokens(inner: str, name: str, line: int) -> list[Token]:
    out: list[Token] = []
    pos = 0
    spaced = True
    while pos < len(inner):
        m = _ACTION.match(inner, pos)
        if m is None:
            raise TemplateSyntaxError(f"template: {name}:{line}: unexpected {inner[pos]!r} in command")
        kind = m.lastgroup
        value = m.group()
        pos = m.end()
        if kind == "space":
            line += value.count("\n")
            spaced = True
            continue
        if kind == "field" and not spaced and out and out[-1].kind == "rparen":
            kind = "chain"  # (pipeline).Field
        spaced = False
        if kind == "raw":
            kind = "string"
        elif kind == "punct":
            kind = _PUNCT[value]
        elif kind == "ident":
            kind = "keyword" if value in KEYWORDS else "bool" if value in ("true", "false") else "nil" if value == "nil" else kind
        out.append(Token(kind, value, line))
    return out
