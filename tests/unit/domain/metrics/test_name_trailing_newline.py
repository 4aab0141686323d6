"""Metric and label names end where the name ends: a trailing newline is not part of a
valid name (a "^...$" pattern let "job\\n" through, since "$" matches before it)."""

from __future__ import annotations

import pytest

from domain.errors import ValidationError
from domain.metrics.labels import LabelSet, validate_metric_name
from domain.metrics.matchers import Matcher


def test_a_trailing_newline_is_not_part_of_a_name() -> None:
    with pytest.raises(ValidationError):
        validate_metric_name("cpu\n")
    with pytest.raises(ValidationError):
        LabelSet.of({"job\n": "api"})
    with pytest.raises(ValidationError):
        Matcher.of("job\n", "=", "api")
    assert Matcher.of("job", "=", "api\n").matches_value("api\n")  # values may hold anything
