"""``/metrics`` (Prometheus, for keys with the ``metrics`` scope) and ``/healthz`` (liveness, anonymous)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ticketflow.api.security import Guard
from ticketflow.domain.access import Scope
from ticketflow.runtime.service import Runtime


def router(runtime: Runtime, guard: Guard) -> APIRouter:
    """Metrics and health over ``runtime``. ``/healthz`` says only whether the database answers."""
    routes = APIRouter()
    scrape: list[Callable[..., Any]] = (
        [] if runtime.engine.settings.api.metrics_public else [guard.require(Scope.METRICS)]
    )

    @routes.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        dependencies=[Depends(d) for d in scrape],
        responses={401: {"description": "No valid API key"}, 403: {"description": "No `metrics` scope"}},
    )
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @routes.get(
        "/healthz",
        summary="Liveness: 200 when the database answers, 503 otherwise; nothing else is told",
        responses={503: {"description": "The database does not answer"}},
    )
    def healthz() -> JSONResponse:
        ok = runtime.store.reachable()
        return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503)

    return routes
