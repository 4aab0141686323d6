"""The range query resolution limit as Prometheus applies it: ``(end - start) / step``
may be 11,000, so a range of 11,001 points is answered and one of 11,002 refused."""

from __future__ import annotations

import pytest

from adapters.memory.samples import MemorySampleStore
from domain.promql.errors import PromQLSyntaxError
from services.promql.engine import PromQLEngine


async def test_11001_points_are_answered_and_11002_refused() -> None:
    engine = PromQLEngine(MemorySampleStore())
    try:
        result = await engine.range("t", "vector(1)", 0, 11_000_000, 1000)
        assert result.points[0][0].size == 11_001
        with pytest.raises(PromQLSyntaxError, match="exceeded maximum resolution of 11,000 points"):
            await engine.range("t", "vector(1)", 0, 11_001_000, 1000)
    finally:
        engine.close()
