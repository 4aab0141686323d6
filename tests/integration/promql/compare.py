"""Comparing a query's answer from our engine with Prometheus': same status and error
type (and message, for evaluation errors), same result type, same series (label sets;
a number in a label compared as a number), same timestamps, values equal within a
float tolerance (NaN equals NaN), and the same order where Prometheus
defines one (range results by labels, ``sort``/``sort_desc`` by value)."""

from __future__ import annotations

import math
import re

REL_TOL = 1e-9
ABS_TOL = 1e-12


def close(a: str | float, b: str | float) -> bool:
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if x == y:
        return True
    return math.isclose(x, y, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _message(error: str) -> str:
    """An evaluation error's text without the series a duplicate-match error names:
    which duplicate Prometheus meets first depends on its hash maps' order (in range
    queries even the order of a step's input does), so only the kind of error and the
    side are compared."""
    error = re.sub(r"for the match group \{.*?\} on the", "for the match group {...} on the", error)
    return re.sub(r"\[\{.*\}\];many-to-many", "[...];many-to-many", error)


def _key(metric: dict[str, str]) -> tuple:
    return tuple(sorted(metric.items()))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _labels_close(a: tuple, b: tuple) -> bool:
    """Label sets equal, except that a value both sides hold as a number (a float put in
    a label by ``count_values``) may differ within the float tolerance: Go's math
    functions and ours may round the last bit differently."""
    if len(a) != len(b):
        return False
    for (na, va), (nb, vb) in zip(a, b):
        if na != nb:
            return False
        if va != vb:
            x, y = _number(va), _number(vb)
            if x is None or y is None or not close(x, y):
                return False
    return True


def _pair(ka: list[tuple], kb: list[tuple]) -> dict[tuple, tuple]:
    """Prometheus' label sets mapped to ours: equal ones, then close ones (``_labels_close``)."""
    theirs_to_ours = {k: k for k in kb if k in set(ka)}
    left = [k for k in ka if k not in theirs_to_ours]
    for k in kb:
        if k in theirs_to_ours:
            continue
        match = next((o for o in left if _labels_close(o, k)), None)
        if match is not None:
            theirs_to_ours[k] = match
            left.remove(match)
    return theirs_to_ours


def differences(ours: dict, theirs: dict, *, ordered_by_value: bool = False) -> list[str]:
    """What differs, in words (empty when the answers agree)."""
    if theirs["status"] != ours["status"]:
        return [f"status: prometheus {theirs['status']} ({theirs.get('error')}), ours {ours['status']} ({ours.get('error')})"]
    if theirs["status"] == "error":
        if theirs["errorType"] != ours["errorType"]:
            return [f"error type: prometheus {theirs['errorType']} ({theirs['error']}), ours {ours['errorType']} ({ours['error']})"]
        if theirs["errorType"] == "execution" and _message(theirs["error"]) != _message(ours["error"]):
            return [f"error: prometheus {theirs['error']!r}, ours {ours['error']!r}"]
        return []
    a, b = ours["data"], theirs["data"]
    if a["resultType"] != b["resultType"]:
        return [f"result type: prometheus {b['resultType']}, ours {a['resultType']}"]
    kind = b["resultType"]
    if kind in ("scalar", "string"):
        (ta, va), (tb, vb) = a["result"], b["result"]
        ok = ta == tb and (va == vb if kind == "string" else close(va, vb))
        return [] if ok else [f"{kind}: prometheus {b['result']}, ours {a['result']}"]
    out: list[str] = []
    ra, rb = a["result"], b["result"]
    ka, kb = [_key(s["metric"]) for s in ra], [_key(s["metric"]) for s in rb]
    if len(set(ka)) != len(ka):
        out.append("ours repeats a label set")
    paired = _pair(ka, kb)
    if len(paired) != len(kb) or len(ka) != len(kb):
        missing, extra = set(kb) - set(paired), set(ka) - set(paired.values())
        out.append(f"series: missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}")
        return out
    theirs_of = {o: t for t, o in paired.items()}
    ka = [theirs_of[k] for k in ka]  # ours named by Prometheus' label sets from here on
    if kind == "vector":
        by_a = {k: s["value"] for k, s in zip(ka, ra)}
        for k, s in zip(kb, rb):
            ta, va = by_a[k]
            tb, vb = s["value"]
            if ta != tb or not close(va, vb):
                out.append(f"{dict(k)}: prometheus {s['value']}, ours {by_a[k]}")
        if ordered_by_value:
            va_seq, vb_seq = [s["value"][1] for s in ra], [s["value"][1] for s in rb]
            if not all(close(x, y) for x, y in zip(va_seq, vb_seq)):
                out.append(f"order: prometheus {vb_seq[:10]}, ours {va_seq[:10]}")
        return out
    if ka != kb:
        out.append(f"order of series: prometheus {kb[:5]}, ours {ka[:5]}")
    by_a = {k: s["values"] for k, s in zip(ka, ra)}
    for k, s in zip(kb, rb):
        pa, pb = by_a[k], s["values"]
        if [p[0] for p in pa] != [p[0] for p in pb]:
            only_b = sorted({p[0] for p in pb} - {p[0] for p in pa})[:5]
            only_a = sorted({p[0] for p in pa} - {p[0] for p in pb})[:5]
            out.append(f"{dict(k)} timestamps: only prometheus {only_b}, only ours {only_a}")
            continue
        bad = [(p[0], q[1], p[1]) for p, q in zip(pa, pb) if not close(p[1], q[1])]
        if bad:
            out.append(f"{dict(k)} values (t, prometheus, ours): {bad[:5]} ({len(bad)} of {len(pb)})")
    return out
