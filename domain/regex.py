"""User-supplied regular expressions, on RE2 (docs/adr/0011-re2.md).

Every regex a user writes (label matchers in queries, rules, silences, routes, inhibit
rules, live stream selectors; compliance checks' ``matches``) is compiled here. RE2
matches in time linear in the text, so no pattern can make a match run for minutes
(Python's backtracking ``re`` takes exponential time on ``(a+)+$`` against "aaaa…b").
The syntax is RE2's, the one Prometheus accepts; what RE2 refuses (backreferences,
lookahead and lookbehind, possessive quantifiers, repetitions over 1000, programs over
the memory bound) is a ``ValidationError`` naming the field and why.

``UserRegex.fullmatch`` is fully anchored, as Prometheus' matchers are. ``.`` matches a
newline too (Prometheus 3). Matching goes straight to the compiled program
(``re2._re2.RE2.Match``): the package's ``re``-like wrapper costs about 3.5 times as
much per call and the matchers run per series; google-re2 is pinned exactly in
``requirements.lock`` and ``tests/unit/domain/test_regex.py`` checks this use of it.
"""

from __future__ import annotations

import re

import re2
from re2 import _re2

from domain.errors import ValidationError

MAX_PATTERN_LENGTH = 4096
MAX_PROGRAM_BYTES = 1 << 20  # RE2's memory bound for one compiled pattern (its default is 8 MiB)

MAX_REPEAT = 1000
MAX_NESTING = 1000
_ANCHOR_BOTH = re2._Anchor.ANCHOR_BOTH
_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")  # our own fixed pattern, not a user's
_NO_MATCH = (-1, -1)


def _options() -> "re2.Options":
    options = re2.Options()
    options.dot_nl = True  # "." matches "\n" as in Prometheus 3
    options.never_capture = True  # a match is yes or no: no groups to track
    options.log_errors = False  # the error goes to the caller, not to stderr
    options.max_mem = MAX_PROGRAM_BYTES
    return options


_OPTIONS = _options()

_HINTS = {
    "invalid perl operator": "lookahead and lookbehind are not supported",
    "invalid escape sequence": "backreferences such as \\1 and escapes such as \\Z are not supported",
    "bad repetition operator": "a quantifier cannot follow another, and possessive ones such as a++ are not supported",
    "invalid repetition size": "a repetition may count to 1000 at most",
    "pattern too large": "the pattern compiles to a program over the memory bound",
}


def _check_go_limits(pattern: str, field: str) -> None:
    """Refuse what Go's (Prometheus') parser refuses and RE2 takes: a repetition count
    over 1000 (RE2 reads one too large for its integers as literal text, so
    ``a{99999999999}`` would silently match only the string "a{99999999999}") and
    groups nested deeper than 1000."""
    i, n, in_class, depth = 0, len(pattern), False, 0
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):  # a leading "]" is a member, not the end
                i += 1
            continue
        elif c == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise ValidationError(f"invalid regular expression {pattern[:40]!r}...: groups are nested deeper than "
                                      f"{MAX_NESTING}", field=field)
        elif c == ")":
            depth = max(0, depth - 1)
        elif c == "{" and (m := _REPEAT.match(pattern, i)):
            if any(count and (len(count) > 4 or int(count) > MAX_REPEAT) for count in m.groups()):
                raise ValidationError(f"invalid regular expression {pattern!r}: invalid repetition size {m.group(0)} "
                                      f"(RE2 syntax: a repetition may count to {MAX_REPEAT} at most)", field=field)
        i += 1


class UserRegex:
    """A compiled user regex. Equal patterns are equal; pickling recompiles."""

    __slots__ = ("pattern", "_program")

    def __init__(self, pattern: str, *, field: str = "regex") -> None:
        if not isinstance(pattern, str):
            raise ValidationError(f"a regular expression must be a string, got {type(pattern).__name__}", field=field)
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise ValidationError(f"regular expression is over {MAX_PATTERN_LENGTH} characters", field=field)
        try:
            encoded = pattern.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(f"regular expression {pattern!r} is not valid Unicode text", field=field) from None
        _check_go_limits(pattern, field)
        program = _re2.RE2(encoded, _OPTIONS)
        if not program.ok():
            reason = program.error().decode("utf-8", "replace")
            hint = next((h for prefix, h in _HINTS.items() if reason.startswith(prefix)), "")
            raise ValidationError(
                f"invalid regular expression {pattern!r}: {reason}" + (f" (RE2 syntax: {hint})" if hint else ""),
                field=field)
        self.pattern = pattern
        self._program = program

    def fullmatch(self, text: str) -> bool:
        """Whether the whole of ``text`` matches (a text that is not valid Unicode never does)."""
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return self._program.Match(_ANCHOR_BOTH, data, 0, len(data))[0] != _NO_MATCH

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UserRegex) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"UserRegex({self.pattern!r})"

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (UserRegex, (self.pattern,))

    def __copy__(self) -> "UserRegex":
        return self

    def __deepcopy__(self, memo: dict) -> "UserRegex":
        return self
