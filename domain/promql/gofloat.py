"""Numbers as Go prints and reads them, so our text matches Prometheus' byte for byte.

``format_f`` is ``strconv.FormatFloat(v, 'f', -1, 64)`` (``count_values`` labels),
``format_sample`` the JSON form of a sample value in Prometheus' API (shortest digits,
exponent form only below 1e-6 or from 1e21, ``NaN``, ``+Inf``, ``-Inf``), and
``parse_float`` is ``strconv.ParseFloat(s, 64)`` (``le`` labels).
"""

from __future__ import annotations

import math
from decimal import Decimal


def _positional(v: float) -> str:
    text = repr(v)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_f(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return _positional(v)


def format_sample(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    a = abs(v)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        return repr(v)  # Python's repr and Go's 'e' with -1 precision agree: "1e+21", "1.5e-07"
    return _positional(v)


_SPECIAL = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
            "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan, "+nan": math.nan, "-nan": math.nan}


def parse_float(text: str) -> float | None:
    """The value, or None where Go's ParseFloat would fail (Python's ``float`` also
    takes surrounding spaces and digit underscores, which Go does not)."""
    special = _SPECIAL.get(text.lower())
    if special is not None:
        return special
    if not text or text != text.strip() or "_" in text:
        return None
    body = text.lstrip("+-")
    try:
        if body[:2] in ("0x", "0X"):
            if "p" not in body.lower():
                return None  # Go's hexadecimal floats need a binary exponent
            value = float.fromhex(body)
            return -value if text.startswith("-") else value
        return float(text)
    except ValueError:
        return None
