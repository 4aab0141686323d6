"""Go's ``Regexp.Expand`` template language, for ``label_replace``'s replacement:
``$1``, ``${1}``, ``$name``, ``${name}`` and ``$$``. A name is the longest run of
letters, digits and underscores, so ``$1x`` names group "1x" (empty), as in Go."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def _extract(text: str) -> tuple[str, int, str] | None:
    """(name, group number or -1, rest) after a ``$``, or None if malformed."""
    brace = text.startswith("{")
    if brace:
        text = text[1:]
    i = 0
    while i < len(text) and (text[i].isalnum() or text[i] == "_"):
        i += 1
    if i == 0:
        return None
    name = text[:i]
    if brace:
        if i >= len(text) or text[i] != "}":
            return None
        i += 1
    num = -1
    if name.isascii() and name.isdigit() and not (name[0] == "0" and len(name) > 1) and len(name) <= 8:
        num = int(name)
    return name, num, text[i:]


def expand(template: str, source: str, spans: Sequence[tuple[int, int]], names: Mapping[str, int]) -> str:
    """``template`` with group references replaced by the text of ``source`` at ``spans``
    (index 0 is the whole match; (-1, -1) for a group that did not take part)."""
    out: list[str] = []
    while template:
        before, sep, after = template.partition("$")
        if not sep:
            break
        out.append(before)
        template = after
        if template.startswith("$"):
            out.append("$")
            template = template[1:]
            continue
        found = _extract(template)
        if found is None:
            out.append("$")
            continue
        name, num, template = found
        index = num if num >= 0 else names.get(name, -1)
        if 0 <= index < len(spans) and spans[index][0] >= 0:
            start, end = spans[index]
            out.append(source[start:end])
    out.append(template)
    return "".join(out)
