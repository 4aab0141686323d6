"""Parsing of the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0.

Why here, in the pure domain: what a scraped page *means* (families, their type, which
sample belongs to which family) is a rule of the metrics model, not of HTTP, and the
scraper, tests and any future push endpoint must read it the same way.

The two formats differ in ways that matter, so each has its own entry point and
``parse`` picks by the Content-Type the target answered with:

- text 0.0.4: blank lines and free comments allowed; timestamps are integer
  milliseconds; a family's samples may be spread over the page; TYPE must precede them.
- OpenMetrics 1.0: the page ends with ``# EOF``; no blank lines; timestamps are
  (fractional) seconds; ``# UNIT`` exists and must be a suffix of the name; a family's
  descriptors and samples are contiguous, and samples are named by their type
  (``_total`` for counters, ``_gcount``/``_gsum`` for gauge histograms, ``_info`` ...);
  exemplars (`` # {...} v``) follow a value and are ignored here.

Every problem is a ``ValidationError`` naming the line (and column where it helps);
nothing else escapes, whatever the input (a hypothesis fuzz test holds us to it).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from domain.errors import ValidationError

OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text"
# What a scraper asks for: OpenMetrics if the target has it, else text 0.0.4.
ACCEPT_HEADER = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_PLAIN_VALUE = re.compile(r'[^"\\\n]*')
_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.IGNORECASE)
_TEXT_TS = re.compile(r"[+-]?\d{1,19}")
_OM_TS = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?")
_INT64 = 2**63 - 1
_BLANKS = " \t"
_BLANK_RUN = re.compile(r"[ \t]+")


class MetricType(str, enum.Enum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"
    GAUGE_HISTOGRAM = "gaugehistogram"
    SUMMARY = "summary"
    INFO = "info"
    STATESET = "stateset"
    UNKNOWN = "unknown"  # text 0.0.4's "untyped"


# The sample-name suffixes each type allows, per format.
_TEXT_SUFFIXES = {
    MetricType.COUNTER: ("",), MetricType.GAUGE: ("",), MetricType.UNKNOWN: ("",),
    MetricType.HISTOGRAM: ("_bucket", "_sum", "_count"), MetricType.SUMMARY: ("", "_sum", "_count"),
}
_OM_SUFFIXES = {
    MetricType.COUNTER: ("_total", "_created"), MetricType.GAUGE: ("",), MetricType.UNKNOWN: ("",),
    MetricType.HISTOGRAM: ("_bucket", "_count", "_sum", "_created"),
    MetricType.GAUGE_HISTOGRAM: ("_bucket", "_gcount", "_gsum"),
    MetricType.SUMMARY: ("", "_count", "_sum", "_created"),
    MetricType.INFO: ("_info",), MetricType.STATESET: ("",),
}
_TEXT_TYPES = {"counter": MetricType.COUNTER, "gauge": MetricType.GAUGE, "histogram": MetricType.HISTOGRAM,
               "summary": MetricType.SUMMARY, "untyped": MetricType.UNKNOWN}


@dataclass(frozen=True, slots=True)
class ExpositionSample:
    """One line of a page: the full sample name (``x_bucket``), labels as written."""

    name: str
    labels: dict[str, str]
    value: float
    timestamp_ms: int | None = None


@dataclass(slots=True)
class MetricFamily:
    name: str
    type: MetricType = MetricType.UNKNOWN
    help: str = ""
    unit: str = ""
    samples: list[ExpositionSample] = field(default_factory=list)
    # Which descriptors were given (a second one is an error).
    _declared: set[str] = field(default_factory=set, repr=False, compare=False)


def is_openmetrics(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == OPENMETRICS_CONTENT_TYPE


def parse(body: str | bytes, content_type: str | None = None) -> list[MetricFamily]:
    """The families of a scraped page, read as the format its Content-Type names
    (OpenMetrics for ``application/openmetrics-text``, otherwise text 0.0.4)."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"the page is not UTF-8 (byte {exc.start})", field="body") from None
    return parse_openmetrics(body) if is_openmetrics(content_type) else parse_text(body)


def parse_text(text: str) -> list[MetricFamily]:
    """Prometheus text format 0.0.4."""
    families: dict[str, MetricFamily] = {}
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw.strip(_BLANKS + "\r")
        if not line:
            continue
        if line[0] == "#":
            parts = _BLANK_RUN.split(line[1:].lstrip(_BLANKS), 2)
            if len(parts) >= 2 and parts[0] in ("HELP", "TYPE"):
                _text_descriptor(families, parts, lineno)
            continue  # any other comment is just a comment
        s = _Line(line, lineno, om=False)
        name, labels, value, ts = s.sample()
        fam = _text_family(families, name)
        fam.samples.append(ExpositionSample(name, labels, value, ts))
    return list(families.values())


def parse_openmetrics(text: str) -> list[MetricFamily]:
    """OpenMetrics 1.0 (the text form)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[-1] != "# EOF":
        raise ValidationError("an OpenMetrics page must end with '# EOF'", field="body")
    families: list[MetricFamily] = []
    owner: dict[str, str] = {}  # sample name -> the family it belongs to
    names: set[str] = set()
    current: MetricFamily | None = None
    for lineno, line in enumerate(lines[:-1], 1):
        if not line:
            raise _error(lineno, "empty lines are not allowed in OpenMetrics")
        if line[0] == "#":
            parts = line.split(" ", 3)
            if parts[:2] == ["#", "EOF"]:
                raise _error(lineno, "'# EOF' must be the last line")
            if len(parts) < 3 or parts[1] not in ("HELP", "TYPE", "UNIT"):
                continue  # not a descriptor: tolerated as a comment
            kind, name = parts[1], parts[2]
            rest = parts[3] if len(parts) > 3 else ""
            if not _METRIC_NAME.fullmatch(name):
                raise _error(lineno, f"invalid metric name {name!r}")
            if current is None or current.name != name or current.samples:
                current = _new_family(families, owner, names, name, MetricType.UNKNOWN, lineno)
            _om_descriptor(current, owner, kind, rest, lineno)
            continue
        sample_name, labels, value, ts = _Line(line, lineno, om=True).sample()
        family_name = owner.get(sample_name)
        if current is None or family_name != current.name:
            if family_name is not None:
                raise _error(lineno, f"samples of {family_name!r} are not together (interleaved with another family)")
            current = _new_family(families, owner, names, sample_name, MetricType.UNKNOWN, lineno)
        current.samples.append(ExpositionSample(sample_name, labels, value, ts))
    return families


# -- descriptors -------------------------------------------------------------------------


def _text_descriptor(families: dict[str, MetricFamily], parts: list[str], lineno: int) -> None:
    kind, name = parts[0], parts[1]
    rest = parts[2] if len(parts) > 2 else ""
    if not _METRIC_NAME.fullmatch(name):
        raise _error(lineno, f"invalid metric name {name!r}")
    fam = families.setdefault(name, MetricFamily(name))
    if kind in fam._declared:
        raise _error(lineno, f"second {kind} line for {name!r}")
    fam._declared.add(kind)
    if kind == "HELP":
        fam.help = _unescape(rest, lineno, quote=False)
        return
    mtype = _TEXT_TYPES.get(rest.strip())
    if mtype is None:
        raise _error(lineno, f"unknown type {rest.strip()!r} for {name!r}; use {', '.join(_TEXT_TYPES)}")
    if fam.samples:
        raise _error(lineno, f"TYPE line for {name!r} comes after its samples")
    fam.type = mtype


def _text_family(families: dict[str, MetricFamily], name: str) -> MetricFamily:
    fam = families.get(name)
    if fam is not None and (fam.samples or "TYPE" in fam._declared):
        return fam
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            base = families.get(name[: -len(suffix)])
            if base is not None and suffix in _TEXT_SUFFIXES.get(base.type, ()):
                return base
    if fam is None:
        fam = families[name] = MetricFamily(name)
    return fam


def _new_family(families: list[MetricFamily], owner: dict[str, str], names: set[str], name: str,
                mtype: MetricType, lineno: int) -> MetricFamily:
    if name in names:
        raise _error(lineno, f"family {name!r} appears twice (its lines must be together)")
    if name in owner:
        raise _error(lineno, f"family name {name!r} clashes with a sample of {owner[name]!r}")
    names.add(name)
    fam = MetricFamily(name, mtype)
    families.append(fam)
    owner[name] = name
    return fam


def _om_descriptor(fam: MetricFamily, owner: dict[str, str], kind: str, rest: str, lineno: int) -> None:
    if kind in fam._declared:
        raise _error(lineno, f"second {kind} line for {fam.name!r}")
    fam._declared.add(kind)
    if kind == "HELP":
        fam.help = _unescape(rest, lineno, quote=True)
    elif kind == "UNIT":
        if rest and not _LABEL_NAME.fullmatch(rest) and not rest.isalnum():
            raise _error(lineno, f"invalid unit {rest!r}")
        if rest and not fam.name.endswith("_" + rest):
            raise _error(lineno, f"unit {rest!r} is not a suffix of the metric name {fam.name!r}")
        fam.unit = rest
    else:
        try:
            mtype = MetricType(rest)
        except ValueError:
            raise _error(lineno, f"unknown type {rest!r} for {fam.name!r}; use {', '.join(t.value for t in MetricType)}") from None
        del owner[fam.name]
        for suffix in _OM_SUFFIXES[mtype]:
            sample = fam.name + suffix
            if sample in owner:
                raise _error(lineno, f"{fam.name!r} as a {mtype.value} clashes with family {owner[sample]!r}")
            owner[sample] = fam.name
        fam.type = mtype


# -- sample lines ------------------------------------------------------------------------


class _Line:
    """A cursor over one sample line."""

    __slots__ = ("text", "pos", "lineno", "om")

    def __init__(self, text: str, lineno: int, *, om: bool) -> None:
        self.text, self.pos, self.lineno, self.om = text, 0, lineno, om

    def error(self, message: str) -> ValidationError:
        return _error(self.lineno, f"column {self.pos + 1}: {message}")

    def blanks(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _BLANKS:
            self.pos += 1

    def sample(self) -> tuple[str, dict[str, str], float, int | None]:
        m = _METRIC_NAME.match(self.text, self.pos)
        if m is None:
            raise self.error("expected a metric name")
        name, self.pos = m.group(), m.end()
        labels: dict[str, str] = {}
        if self.pos < len(self.text) and self.text[self.pos] == "{":
            self.pos += 1
            labels = self.labels()
        tail = self.text[self.pos:]
        if not tail or tail[0] not in _BLANKS:
            raise self.error("expected a space and the value")
        if self.om:
            tail = tail.split(" # ", 1)[0]  # an exemplar: ignored
        tokens = _BLANK_RUN.split(tail.strip(_BLANKS))
        if not 1 <= len(tokens) <= 2:
            raise self.error("expected a value and at most a timestamp")
        if not _NUMBER.fullmatch(tokens[0]):
            raise self.error(f"invalid value {tokens[0]!r}")
        value = float(tokens[0])
        ts = self.timestamp(tokens[1]) if len(tokens) == 2 else None
        return name, labels, value, ts

    def labels(self) -> dict[str, str]:
        out: dict[str, str] = {}
        text = self.text
        while True:
            self.blanks()
            if self.pos < len(text) and text[self.pos] == "}":
                self.pos += 1
                return out
            m = _LABEL_NAME.match(text, self.pos)
            if m is None:
                raise self.error("expected a label name or '}'")
            name, self.pos = m.group(), m.end()
            self.blanks()
            if not text.startswith("=", self.pos):
                raise self.error(f"expected '=' after label {name!r}")
            self.pos += 1
            self.blanks()
            if not text.startswith('"', self.pos):
                raise self.error(f"expected '\"' to open the value of label {name!r}")
            self.pos += 1
            value = self.quoted()
            if name in out:
                raise self.error(f"label {name!r} given twice")
            out[name] = value
            self.blanks()
            if text.startswith(",", self.pos):
                self.pos += 1
            elif not text.startswith("}", self.pos):
                raise self.error("expected ',' or '}' after a label value")

    def quoted(self) -> str:
        parts: list[str] = []
        text = self.text
        while True:
            m = _PLAIN_VALUE.match(text, self.pos)
            assert m is not None  # the pattern matches the empty string
            parts.append(m.group())
            self.pos = m.end()
            if self.pos >= len(text):
                raise self.error("unterminated label value")
            c = text[self.pos]
            if c == '"':
                self.pos += 1
                return "".join(parts)
            # a backslash (a raw newline cannot occur: lines were split on it)
            if self.pos + 1 >= len(text):
                raise self.error("unterminated escape in a label value")
            nxt = text[self.pos + 1]
            parts.append({"\\": "\\", '"': '"', "n": "\n"}.get(nxt, "\\" + nxt))
            self.pos += 2

    def timestamp(self, token: str) -> int:
        if not self.om:
            if not _TEXT_TS.fullmatch(token) or abs(int(token)) > _INT64:
                raise self.error(f"invalid timestamp {token!r}: an integer of milliseconds is expected")
            return int(token)
        if not _OM_TS.fullmatch(token):
            raise self.error(f"invalid timestamp {token!r}: a number of seconds is expected")
        try:
            ms = Decimal(token) * 1000
        except InvalidOperation:
            raise self.error(f"invalid timestamp {token!r}") from None
        if abs(ms) > _INT64:
            raise self.error(f"timestamp {token!r} is out of range")
        return int(ms.to_integral_value())


def _unescape(text: str, lineno: int, *, quote: bool) -> str:
    """HELP text: ``\\\\`` and ``\\n`` (and ``\\"`` in OpenMetrics); other escapes stay as written."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "\\" or nxt == "n" or (quote and nxt == '"'):
                out.append("\n" if nxt == "n" else nxt)
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _error(lineno: int, message: str) -> ValidationError:
    return ValidationError(f"line {lineno}: {message}", field="body")

