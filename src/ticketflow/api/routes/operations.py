"""``/metrics`` (Prometheus) and ``/healthz`` (liveness)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ticketflow import __version__
from ticketflow.runtime.service import Runtime


def router(runtime: Runtime) -> APIRouter:
    """Metrics and health over ``runtime``."""
    routes = APIRouter()

    @routes.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @routes.get("/healthz", summary="Liveness and database reachability")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "tickets": runtime.store.counts()}

    return routes
