"""Values printed as Go's ``fmt`` prints them, since templates written for Prometheus
expect its output: ``{{ $value }}`` of 1000000 is ``1e+06``, ``printf "%.2f"``
rounds as Go does, a wrong verb prints ``%!d(float64=1.5)``.

Go types map to Python ones: float64 ↔ float, int ↔ int, string ↔ str, bool ↔ bool,
nil ↔ None, maps ↔ dict, slices ↔ list/tuple, structs ↔ ``GoStruct``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class GoStruct:
    """A Go struct: ``type_name`` for error messages, ``fields`` in declaration order."""

    type_name: str
    fields: dict

    def __getitem__(self, name: str):
        return self.fields[name]


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        return "map[string]string"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    if isinstance(value, GoStruct):
        return value.type_name
    return type(value).__name__


def _special(v: float) -> str | None:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return None


def format_g(v: float) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 64)``, which ``%v`` uses: shortest digits,
    exponent form when the decimal exponent is below -4 or at least 6."""
    special = _special(v)
    if special:
        return special
    if v == 0:
        return "-0" if math.copysign(1, v) < 0 else "0"
    sign, digits, exponent = Decimal(repr(v)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    exp10 = len(digits) + exponent - 1  # position of the first digit
    head = "-" if sign else ""
    if exp10 < -4 or exp10 >= 6:  # shortest digits: Go decides with precision 6
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{head}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if exp10 < 0:
        return f"{head}0.{'0' * (-exp10 - 1)}{text}"
    if len(text) <= exp10 + 1:
        return head + text + "0" * (exp10 + 1 - len(text))
    return f"{head}{text[:exp10 + 1]}.{text[exp10 + 1:]}"


def format_e(v: float) -> str:
    """``strconv.FormatFloat(v, 'e', -1, 64)``: shortest digits, always an exponent
    (how Prometheus' API writes an alert's value: ``1e+00``, ``2.5e-01``)."""
    special = _special(v)
    if special:
        return special
    if v == 0:
        return ("-" if math.copysign(1, v) < 0 else "") + "0e+00"
    sign, digits, exponent = Decimal(repr(v)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    exp10 = len(digits) + exponent - 1
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"


def format_value(value: object) -> str:
    """``fmt.Sprint(value)`` for one value (``%v``)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_g(value)
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{format_value(k)}:{format_value(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(map(format_value, value)) + "]"
    if isinstance(value, GoStruct):
        return "{" + " ".join(format_value(v) for v in value.fields.values()) + "}"
    return str(value)


def sprint(*args: object) -> str:
    """``fmt.Sprint``: a space between operands when neither is a string."""
    out = []
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(format_value(arg))
    return "".join(out)


def sprintln(*args: object) -> str:
    return " ".join(format_value(a) for a in args) + "\n"


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])")


def _bad(verb: str, value: object) -> str:
    if value is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(value)}={format_value(value)})"


def _pad(text: str, flags: str, width: int | None, numeric: bool) -> str:
    """Width padding: left-justified with "-", zeros after the sign with "0" (numbers
    only, never NaN or Inf), else spaces on the left."""
    if width is None or len(text) >= width:
        return text
    if "-" in flags:
        return text.ljust(width)
    if "0" in flags and numeric and "Inf" not in text and "NaN" not in text:
        sign = text[0] if text[:1] in "+- " else ""
        return sign + text[len(sign):].rjust(width - len(sign), "0")
    return text.rjust(width)


def _float(verb: str, flags: str, precision: str | None, v: float) -> str:
    special = _special(v)
    if special is not None:
        return special  # Go prints +Inf with its sign whatever the flags
    spec = "%" + "".join(f for f in flags if f in "+ #") + (f".{precision or 0}" if precision is not None else "")
    if verb in "gG" and precision is None:
        text = format_g(v)
        if "+" in flags and v >= 0:
            text = "+" + text
        return text.upper() if verb == "G" else text
    return (spec + ("f" if verb == "F" else verb)) % v


def sprintf(template: str, *args: object) -> str:
    """``fmt.Sprintf`` for the verbs templates use: v s q d f F e E g G x X t c and %%."""
    out: list[str] = []
    pos = 0
    index = 0
    for m in _VERB.finditer(template):
        out.append(template[pos:m.start()])
        pos = m.end()
        flags, width_text, precision, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        if index >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        value = args[index]
        index += 1
        width = int(width_text) if width_text else None
        text, numeric = _one(verb, flags, precision, value)
        out.append(_pad(text, flags, width, numeric))
    out.append(template[pos:])
    if index < len(args):
        out.append("%!(EXTRA " + ", ".join(f"{type_name(a)}={format_value(a)}" for a in args[index:]) + ")")
    return "".join(out)


def _one(verb: str, flags: str, precision: str | None, value: object) -> tuple[str, bool]:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if verb == "v":
        if isinstance(value, float) and "+" in flags and not math.isnan(value) and value >= 0:
            return "+" + format_g(value), True
        return format_value(value), isinstance(value, (int, float)) and not isinstance(value, bool)
    if verb == "s":
        if isinstance(value, str):
            return (value[: int(precision)] if precision else value), False
        if isinstance(value, (dict, list, tuple, GoStruct)):
            return format_value(value), False
        return _bad(verb, value), False
    if verb == "q":
        if isinstance(value, str):
            return json.dumps(value, ensure_ascii=False), False
        if is_int:
            return "'" + chr(value) + "'", False
        return _bad(verb, value), False
    if verb == "t":
        return (format_value(value), False) if isinstance(value, bool) else (_bad(verb, value), False)
    if verb == "c":
        return (chr(value), False) if is_int else (_bad(verb, value), False)
    if verb in "dxX":
        if is_int:
            spec = "%" + "".join(f for f in flags if f in "+ #") + (f".{precision}" if precision else "") + verb
            return spec % value, True
        if verb in "xX" and isinstance(value, str):
            text = value.encode().hex()
            return (text.upper() if verb == "X" else text), False
        return _bad(verb, value), False
    if verb in "fFeEgG":
        if isinstance(value, float):
            return _float(verb, flags, precision, value), True
        return _bad(verb, value), False
    return f"%!{verb}({type_name(value)}={format_value(value)})", False
