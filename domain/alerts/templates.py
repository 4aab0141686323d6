"""Alert label and annotation templates as Prometheus expands them: Go template text
with ``$labels``, ``$value``, ``$externalLabels`` and ``$externalURL`` defined, and
Prometheus' functions (``template/template.go``): ``humanize``, ``humanize1024``,
``humanizeDuration``, ``humanizePercentage``, ``humanizeTimestamp``, ``title``,
``toUpper``, ``toLower``, ``match``, ``reReplaceAll``, ``first``, ``label``,
``value``, ``strvalue``, ``sortByLabel``, ``args``, ``safeHtml``, ``stripPort``,
``parseDuration``, ``externalURL``, ``pathPrefix`` and ``query`` (which the caller
binds to its query engine; without one it fails).

A template that does not run yields ``<error expanding template: ...>`` as the text,
as in Prometheus, so one bad annotation never stops an alert.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import re2

from domain.errors import ValidationError
from domain.metrics.durations import parse_duration_ms
from domain.promql.gofloat import parse_float
from domain.regex import UserRegex
from domain.templating import GoStruct, Template, TemplateExecError, TemplateSyntaxError
from domain.templating.gofmt import type_name

DEFS = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"


def to_float(value: Any) -> float:
    """Prometheus' ``convertToFloat``: numbers, and strings Go's ParseFloat reads."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        parsed = parse_float(value)
        if parsed is None:
            raise TemplateExecError(f'strconv.ParseFloat: parsing "{value}": invalid syntax')
        return parsed
    raise TemplateExecError(f"can't convert {type_name(value)} to float")


def _g4(v: float) -> str:
    """Go's ``%.4g`` (NaN and ±Inf spelled as Go does)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return "%.4g" % v


def _scaled_up(v: float) -> tuple[float, str]:
    """A magnitude below 1 in milli, micro, ... units: (the value in them, the prefix)."""
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix = p
        v *= 1000
    return v, prefix


def humanize(value: Any) -> str:
    v = to_float(value)
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    if abs(v) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix = p
            v /= 1000
        return _g4(v) + prefix
    v, prefix = _scaled_up(v)
    return _g4(v) + prefix


def humanize1024(value: Any) -> str:
    v = to_float(value)
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(v) < 1024:
            break
        prefix = p
        v /= 1024
    return _g4(v) + prefix


def humanize_duration(value: Any) -> str:
    v = to_float(value)
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if v == 0:
        return "0s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v)
        whole = int(v)
        seconds, minutes, hours, days = whole % 60, whole // 60 % 60, whole // 3600 % 24, whole // 86_400
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{_g4(v)}s"
    v, prefix = _scaled_up(v)
    return f"{_g4(v)}{prefix}s"


def humanize_percentage(value: Any) -> str:
    return _g4(to_float(value) * 100) + "%"


def humanize_timestamp(value: Any) -> str:
    """Go's ``time.Time.String()`` of the instant in UTC, to the millisecond."""
    v = to_float(value)
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    nanos = v * 1e9
    if not -(2**63) <= nanos <= 2**63 - 1:
        raise TemplateExecError(f"{v} cannot be represented as a nanoseconds timestamp since it overflows int64")
    millis = int(nanos) // 1_000_000 if nanos >= 0 else -((-int(nanos)) // 1_000_000)
    at = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=millis)
    frac = f".{at.microsecond // 1000:03d}".rstrip("0").rstrip(".") if at.microsecond else ""
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}:{at.second:02d}{frac} +0000 UTC"


def title(text: str) -> str:
    """Go's ``strings.Title``: the first letter of each word upper-cased, the rest kept."""
    out, previous = [], " "
    for ch in text:
        separator = not (previous.isalnum() or previous == "_") if previous.isascii() else previous.isspace()
        out.append(ch.upper() if separator and len(ch.upper()) == 1 else ch)
        previous = ch
    return "".join(out)


def _case(text: str, upper: bool) -> str:
    # Go maps each rune to one rune: "ß" stays "ß" where Python would write "SS".
    return "".join(c2 if len(c2 := (c.upper() if upper else c.lower())) == 1 else c for c in text)


def _sample_labels(sample: Any) -> Mapping[str, str]:
    if isinstance(sample, GoStruct) and "Labels" in sample.fields:
        return sample.fields["Labels"]
    raise TemplateExecError(f"expected a sample, got {type(sample).__name__}")


def first(samples: Any) -> Any:
    if isinstance(samples, (list, tuple)) and samples:
        return samples[0]
    if isinstance(samples, (list, tuple)):
        raise TemplateExecError("first() called on vector with no elements")
    raise TemplateExecError("first() called on a value that is not a query result")


def label(name: str, sample: Any) -> str:
    return _sample_labels(sample).get(name, "")


def value(sample: Any) -> float:
    if isinstance(sample, GoStruct) and "Value" in sample.fields:
        return sample.fields["Value"]
    raise TemplateExecError("value() called on a value that is not a sample")


def sort_by_label(name: str, samples: Any) -> list:
    if not isinstance(samples, (list, tuple)):
        raise TemplateExecError("sortByLabel() called on a value that is not a query result")
    return sorted(samples, key=lambda s: _sample_labels(s).get(name, ""))


def strip_port(host_port: str) -> str:
    """The host of ``host:port`` (Go's ``net.SplitHostPort``); anything else unchanged."""
    if host_port.startswith("["):
        end = host_port.find("]")
        rest = host_port[end + 1:] if end > 0 else ""
        if rest.startswith(":") and ":" not in rest[1:] and "[" not in host_port[1:end]:
            return host_port[1:end]
        return host_port
    return host_port.split(":")[0] if host_port.count(":") == 1 else host_port


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration (``1h30m``)."""
    try:
        return parse_duration_ms(text) / 1000
    except ValueError as exc:
        raise TemplateExecError(str(exc)) from None


@lru_cache(maxsize=256)
def _user_regex(pattern: str, search: bool) -> UserRegex:
    """A template's regex on RE2 (domain.regex): linear time whatever the pattern.
    ``search``: matching anywhere in the text, as Go's MatchString does."""
    try:
        regex = UserRegex(pattern, field="template")
        return UserRegex(f".*(?:{pattern}).*", field="template") if search else regex
    except ValidationError as exc:
        raise TemplateExecError(f"error parsing regexp: {exc.message}") from None


def _match(pattern: str, text: str) -> bool:
    return _user_regex(pattern, True).fullmatch(text)


_GO_GROUP = re.compile(r"\$(?:\{(\w+)\}|(\w+)|\$)")  # our own fixed pattern, not a user's


def _re_replace_all(pattern: str, replacement: str, text: str) -> str:
    """Go's ``ReplaceAllString``: ``$1``, ``${name}`` name groups, ``$$`` is a dollar."""
    _user_regex(pattern, False)  # RE2's checks and limits first
    python = _GO_GROUP.sub(lambda m: "$" if m.group(0) == "$$" else f"\\g<{m.group(1) or m.group(2)}>",
                           replacement.replace("\\", "\\\\"))
    try:
        return re2.sub(pattern, python, text)
    except (re2.error, IndexError) as exc:
        raise TemplateExecError(f"error in reReplaceAll: {exc}") from None


def _no_query(_: str) -> list:
    raise TemplateExecError("query is not available here")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "humanize": humanize,
    "humanize1024": humanize1024,
    "humanizeDuration": humanize_duration,
    "humanizePercentage": humanize_percentage,
    "humanizeTimestamp": humanize_timestamp,
    "title": title,
    "toUpper": lambda s: _case(s, True),
    "toLower": lambda s: _case(s, False),
    "match": _match,
    "reReplaceAll": _re_replace_all,
    "first": first,
    "label": label,
    "value": value,
    "strvalue": lambda s: label("__value__", s),
    "sortByLabel": sort_by_label,
    "args": lambda *a: {f"arg{i}": v for i, v in enumerate(a)},
    "safeHtml": lambda s: s,
    "stripPort": strip_port,
    "parseDuration": parse_duration,
    "externalURL": lambda: "",
    "pathPrefix": lambda: "",
    "query": _no_query,
}


def sample(labels: Mapping[str, str], v: float) -> GoStruct:
    """One element of what ``query`` returns (Prometheus' ``template.sample``)."""
    return GoStruct("*template.sample", {"Labels": dict(labels), "Value": v})


@lru_cache(maxsize=4096)
def compile_template(text: str, name: str) -> Template:
    """The template with Prometheus' definitions prepended; TemplateSyntaxError."""
    return Template.parse(DEFS + text, name, FUNCTIONS)


def check_template(text: str, name: str) -> str | None:
    """Why ``text`` does not parse, or None (what ``promtool check rules`` tests)."""
    try:
        compile_template(text, name)
    except TemplateSyntaxError as exc:
        return str(exc)
    return None


def expand(text: str, name: str, labels: Mapping[str, str], value_: float, *,
           external_labels: Mapping[str, str] | None = None, external_url: str = "",
           query: Callable[[str], Sequence[GoStruct]] | None = None) -> str:
    """``text`` expanded for one alert; errors become ``<error expanding template: ...>``."""
    if "{{" not in text:
        return text
    data = GoStruct("template.tmplData", {
        "Labels": dict(labels), "ExternalLabels": dict(external_labels or {}), "ExternalURL": external_url,
        "Value": value_,
    })
    bound: dict[str, Callable[..., Any]] = {"externalURL": lambda: external_url,
                                             "pathPrefix": lambda: urllib.parse.urlparse(external_url).path}
    if query is not None:
        bound["query"] = lambda q: list(query(q))
    try:
        template = compile_template(text, name)
    except TemplateSyntaxError as exc:
        return f"<error expanding template: error parsing template {name}: {exc}>"
    try:
        return template.execute(data, bound)
    except TemplateExecError as exc:
        return f"<error expanding template: error executing template {name}: {exc}>"
