"""Time and duration parameters: every accepted form parses, everything else is a
ValidationError naming the field (never another exception)."""

from __future__ import annotations

import math

import hypothesis.strategies as st
import pytest
from hypothesis import given

from adapters.http.params import format_value, parse_duration_ms, parse_time_ms
from domain.errors import ValidationError

UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


@given(st.lists(st.tuples(st.integers(0, 500), st.sampled_from(sorted(UNITS))), min_size=1, max_size=4))
def test_compound_durations_sum_their_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{u}" for n, u in parts)
    assert parse_duration_ms(text, field="step") == sum(n * UNITS[u] for n, u in parts)


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_plain_seconds_are_durations(seconds: float) -> None:
    assert parse_duration_ms(repr(seconds), field="step") == int(round(seconds * 1000))


@given(st.text(max_size=12))
def test_duration_garbage_is_a_validation_error(text: str) -> None:
    try:
        parse_duration_ms(text, field="step")
    except ValidationError as exc:
        assert exc.field == "step"


@pytest.mark.parametrize("text", ["", "5", "1.5", "-1", "1x", "m5", "nan", "inf"])
def test_duration_examples(text: str) -> None:
    ok = {"5": 5000, "1.5": 1500}
    if text in ok:
        assert parse_duration_ms(text, field="window") == ok[text]
    else:
        with pytest.raises(ValidationError) as info:
            parse_duration_ms(text, field="window")
        assert info.value.field == "window"


@given(st.integers(0, 4_000_000_000_000))
def test_times_in_seconds_and_rfc3339_agree(ms: int) -> None:
    from datetime import datetime, timezone

    iso = datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")
    assert abs(parse_time_ms(str(ms / 1000), field="start") - ms) <= 1
    assert abs(parse_time_ms(iso, field="start") - ms) <= 1


@given(st.text(max_size=20))
def test_time_garbage_is_a_validation_error(text: str) -> None:
    try:
        parse_time_ms(text, field="end")
    except ValidationError as exc:
        assert exc.field == "end"


@given(st.floats())
def test_formatted_values_parse_back(value: float) -> None:
    text = format_value(value)
    back = float(text.replace("+Inf", "inf").replace("-Inf", "-inf"))
    assert (math.isnan(back) and math.isnan(value)) or back == value
