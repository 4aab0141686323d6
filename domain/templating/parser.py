"""The parse tree of a template: text, ``{{ pipeline }}`` actions, ``if``/``else``,
``range`` and ``with`` blocks, variables, pipelines of commands. As Go's parser does,
it refuses unknown functions and undefined variables before anything runs."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field

from domain.templating.lexer import TemplateSyntaxError, Token, lex

MAX_DEPTH = 50  # nested blocks and parentheses


@dataclass(slots=True)
class Pipe:
    declare: list[str] = field(default_factory=list)  # variables set by ``$x := ...`` or ``$x = ...``
    assign: bool = False  # "=" (reassign) rather than ":=" (declare)
    commands: list[list[tuple]] = field(default_factory=list)  # each: operands; see ``_operand``


@dataclass(slots=True)
class Text:
    text: str


@dataclass(slots=True)
class Action:
    pipe: Pipe
    line: int


@dataclass(slots=True)
class Block:
    kind: str  # if, with, range
    pipe: Pipe
    body: list
    otherwise: list | None
    line: int


@dataclass(slots=True)
class Jump:
    kind: str  # break, continue


class _Parser:
    def __init__(self, tokens: list[Token], name: str, functions: Collection[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.name = name
        self.functions = functions
        self.scopes: list[set[str]] = [{"$"}]
        self.loops = 0
        self.depth = 0

    # -- helpers -------------------------------------------------------------------

    def error(self, message: str, token: Token | None = None) -> TemplateSyntaxError:
        line = (token or self.peek()).line
        return TemplateSyntaxError(f"template: {self.name}:{line}: {message}")

    def peek(self, offset: int = 0) -> Token:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else Token("eof", "", self.tokens[-1].line if self.tokens else 1)

    def take(self) -> Token:
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, kind: str, what: str) -> Token:
        token = self.take()
        if token.kind != kind:
            raise self.error(f"unexpected {_describe(token)} in {what}", token)
        return token

    def defined(self, var: str) -> bool:
        return any(var in scope for scope in self.scopes)

    # -- lists and blocks ------------------------------------------------------------

    def parse(self) -> list:
        nodes, end = self.items(top=True)
        if end is not None:
            raise self.error(f"unexpected {{{{{end.value}}}}}", end)
        return nodes

    def items(self, top: bool = False) -> tuple[list, Token | None]:
        """Nodes up to ``{{end}}`` or ``{{else}}`` (returned, not consumed past the keyword)."""
        nodes: list = []
        while True:
            token = self.peek()
            if token.kind == "eof":
                if not top:
                    raise self.error("unexpected EOF", token)
                return nodes, None
            if token.kind == "text":
                nodes.append(Text(self.take().value))
                continue
            self.expect("open", "template")
            head = self.peek()
            if head.kind == "keyword":
                if head.value in ("end", "else"):
                    if top:
                        raise self.error(f"unexpected {{{{{head.value}}}}}", head)
                    self.take()
                    return nodes, head
                nodes.append(self.keyword(self.take()))
            else:
                pipe = self.pipeline("command", declare=True)
                nodes.append(Action(pipe, head.line))

    def keyword(self, token: Token) -> object:
        if token.value in ("if", "with", "range"):
            return self.block(token)
        if token.value in ("break", "continue"):
            if not self.loops:
                raise self.error(f"{{{{{token.value}}}}} outside {{{{range}}}}", token)
            self.expect("close", token.value)
            return Jump(token.value)
        raise self.error(f"{{{{{token.value}}}}} is not supported in these templates", token)

    def block(self, token: Token, nested_else_if: bool = False) -> Block:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("blocks nested too deeply", token)
        self.scopes.append(set())
        pipe = self.pipeline(token.value, declare=True, range_vars=token.value == "range")
        if token.value == "range":
            self.loops += 1
        body, end = self.items()
        if token.value == "range":
            self.loops -= 1
        self.scopes.pop()
        otherwise = None
        assert end is not None
        if end.value == "else":
            if token.value == "if" and self.peek().kind == "keyword" and self.peek().value == "if":
                # {{else if ...}}: an if inside the else branch that shares our {{end}}
                otherwise = [self.block(self.take(), nested_else_if=True)]
            else:
                self.expect("close", "else")
                self.scopes.append(set())
                otherwise, end = self.items()
                self.scopes.pop()
                if end is None or end.value != "end":
                    raise self.error("expected end; found else", end)
                self.expect("close", "end")
        else:
            self.expect("close", "end")
        self.depth -= 1
        return Block(token.value, pipe, body, otherwise, token.line)

    # -- pipelines ---------------------------------------------------------------------

    def pipeline(self, context: str, *, declare: bool, range_vars: bool = False) -> Pipe:
        pipe = Pipe()
        if declare and self.peek().kind == "var":
            names = [self.peek()]
            ahead = 1
            if range_vars and self.peek(1).kind == "comma" and self.peek(2).kind == "var":
                names.append(self.peek(2))
                ahead = 3
            op = self.peek(ahead)
            if op.kind in ("declare", "assign") and all("." not in n.value for n in names):
                self.pos += ahead + 1
                pipe.assign = op.kind == "assign"
                for n in names:
                    if pipe.assign and not self.defined(n.value):
                        raise self.error(f"undefined variable \"{n.value}\"", n)
                    pipe.declare.append(n.value)
        while True:
            command = self.command()
            if not command:
                token = self.peek()
                raise self.error(f"missing value for {context}" if token.kind in ("close", "rparen", "eof", "pipe")
                                 else f"unexpected {_describe(token)} in {context}", token)
            pipe.commands.append(command)
            token = self.take()
            if token.kind == "pipe":
                continue
            if token.kind in ("close", "rparen"):
                self.pos -= token.kind == "rparen"
                break
            raise self.error(f"unexpected {_describe(token)} in {context}", token)
        if not pipe.assign:
            self.scopes[-1].update(pipe.declare)
        return pipe

    def command(self) -> list[tuple]:
        operands: list[tuple] = []
        while self.peek().kind not in ("pipe", "close", "rparen", "eof"):
            operands.append(self.operand())
        if len(operands) > 1 and operands[0][0] not in ("ident",):
            raise self.error(f"can't give argument to non-function {_show(operands[0])}")
        return operands

    def operand(self) -> tuple:
        token = self.take()
        kind = token.kind
        if kind == "field":
            return ("field", token.value[1:].split("."))
        if kind == "var":
            name, *fields = token.value.split(".")
            if not self.defined(name):
                raise self.error(f"undefined variable \"{name}\"", token)
            return ("var", name, fields)
        if kind == "dot":
            return ("dot",)
        if kind == "ident":
            if token.value not in self.functions:
                raise self.error(f"function \"{token.value}\" not defined", token)
            return ("ident", token.value)
        if kind == "string":
            return ("string", _unquote(token.value, self, token))
        if kind == "char":
            text = _unquote('"' + token.value[1:-1] + '"', self, token)
            if len(text) != 1:
                raise self.error(f"malformed character constant: {token.value}", token)
            return ("number", ord(text))
        if kind == "number":
            return ("number", _number(token.value, self, token))
        if kind == "bool":
            return ("bool", token.value == "true")
        if kind == "nil":
            return ("nil",)
        if kind == "lparen":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error("parentheses nested too deeply", token)
            inner = self.pipeline("parenthesized pipeline", declare=False)
            self.expect("rparen", "parenthesized pipeline")
            self.depth -= 1
            if self.peek().kind == "chain":
                return ("chain", inner, self.take().value[1:].split("."))
            return ("pipe", inner)
        raise self.error(f"unexpected {_describe(token)} in operand", token)


def _describe(token: Token) -> str:
    return {"close": "\"}}\"", "eof": "EOF", "rparen": "\")\"", "pipe": "\"|\""}.get(token.kind, f"{token.value!r}")


def _show(operand: tuple) -> str:
    return {"string": lambda o: json.dumps(o[1]), "number": lambda o: str(o[1])}.get(operand[0], lambda o: o[0])(operand)


def _unquote(text: str, parser: _Parser, token: Token) -> str:
    if text.startswith("`"):
        return text[1:-1]
    try:
        value = json.loads(text)  # Go's escapes are JSON's plus a few (\a \v \x..): close enough for templates
    except ValueError:
        try:
            value = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            raise parser.error(f"invalid syntax: {text}", token) from None
    return value


def _number(text: str, parser: _Parser, token: Token) -> int | float:
    clean = text.replace("_", "")
    try:
        if clean.lstrip("+-")[:2].lower() in ("0x", "0b", "0o"):
            return int(clean, 0)
        if any(c in clean for c in ".eE"):
            return float(clean)
        return int(clean, 10)
    except ValueError:
        raise parser.error(f"bad number syntax: {text!r}", token) from None


def parse(text: str, name: str, functions: Collection[str]) -> list:
    """The parse tree of ``text``; TemplateSyntaxError if it does not parse."""
    return _Parser(lex(text, name), name, functions).parse()
