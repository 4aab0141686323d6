from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from adapters.http.deps import ApiServices, current_principal, services

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process serves requests")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: every dependency answers (which ones, to authenticated callers only)")
async def readyz(request: Request, svc: ApiServices = Depends(services)) -> JSONResponse:
    results: dict[str, str] = {}
    for name, check in svc.readiness.items():
        try:
            await asyncio.wait_for(check(), 2.0)
            results[name] = "ok"
        except Exception as exc:  # a readiness probe reports, it does not raise
            results[name] = f"failing: {exc or type(exc).__name__}"
    ready = all(v == "ok" for v in results.values())
    body: dict[str, object] = {"status": "ready" if ready else "not ready"}
    if current_principal(request) is not None:  # what fails, and why, is for people who may know
        body["checks"] = results
    return JSONResponse(body, status_code=200 if ready else 503)
