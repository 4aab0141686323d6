"""PromQL's four value types."""

from __future__ import annotations

import enum


class ValueType(str, enum.Enum):
    SCALAR = "scalar"
    VECTOR = "vector"
    MATRIX = "matrix"
    STRING = "string"

    @property
    def prometheus_name(self) -> str:
        """The name Prometheus' error messages use ("range vector", "instant vector")."""
        return {"vector": "instant vector", "matrix": "range vector"}.get(self.value, self.value)
