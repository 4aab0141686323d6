"""The Prometheus HTTP API under ``/prometheus`` (as Mimir serves it), so Grafana's
Prometheus data source and Prometheus tools work against Observer-Eye; it does not
clash with our own ``/api/v1`` routes. One module per concept."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.http.routes.prometheus import query, rules, series, status
from adapters.http.routes.prometheus.common import PREFIX

router = APIRouter(prefix=PREFIX)
for module in (query, series, status, rules):
    router.include_router(module.router)
