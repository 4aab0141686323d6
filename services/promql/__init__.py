"""PromQL: the engine (``PromQLEngine``), its limits and its results.

``entrypoints/container.py`` builds one engine over the configured sample store; the
Prometheus HTTP API and PromQL rules call it. See docs/adr/0012-promql-engine.md.
"""

from services.promql.engine import PromQLEngine, prometheus_error_type
from services.promql.limits import QueryLimits
from services.promql.result import QueryResult, QueryStats

__all__ = ["PromQLEngine", "QueryLimits", "QueryResult", "QueryStats", "prometheus_error_type"]
