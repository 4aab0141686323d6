"""``status/buildinfo``: what Grafana reads to recognise a Prometheus (``version``, and
no ``features``: a non-empty ``features`` makes Grafana take the server for Mimir and
call its ruler API)."""

from __future__ import annotations

import platform
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from adapters.http.deps import require
from adapters.http.routes.prometheus.common import prometheus_errors, success
from domain.identity.permissions import Permission
from domain.identity.principal import Principal

router = APIRouter(tags=["prometheus"])
# The Prometheus release whose PromQL and HTTP API this one follows (the engine's
# differential tests run against it); Grafana gates features on it.
COMPATIBLE_VERSION = "2.42.0"


@router.get("/status/buildinfo", summary="Build information (Prometheus API)")
@prometheus_errors
async def buildinfo(request: Request,
                    principal: Annotated[Principal, Depends(require(Permission.READ_TELEMETRY))]) -> Response:
    return success({
        "version": COMPATIBLE_VERSION,
        "revision": f"observer-eye {request.app.version}",
        "branch": "observer-eye",
        "buildUser": "observer-eye",
        "buildDate": "",
        "goVersion": f"python{platform.python_version()}",
    })
