"""``GET /v1/alerts``: every alert rule with its state, and the latest events (keys with ``metrics``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from ticketflow.api.security import Guard
from ticketflow.domain.access import Principal, Scope
from ticketflow.runtime.alerts import snapshot
from ticketflow.runtime.service import Runtime


def router(runtime: Runtime, guard: Guard) -> APIRouter:
    """The alerts' state over ``runtime``'s rules and store (``admin`` keys hold ``metrics`` too)."""
    routes = APIRouter()
    scraper = guard.require(Scope.METRICS)

    @routes.get(
        "/v1/alerts",
        summary="Alert rules and their states (ok, cooling, firing), with the latest fired/resolved events",
        responses={401: {"description": "No valid API key"}, 403: {"description": "No `metrics` scope"}},
    )
    def alerts(
        _: Principal = Depends(scraper),
        events: int = Query(20, ge=0, le=500, description="how many of the latest events to include"),
    ) -> dict[str, Any]:
        store = runtime.store.alerts
        return {
            "enabled": runtime.engine.settings.alerts.enabled,
            "rules": snapshot(runtime.alert_rules, store.states()),
            "events": [
                {
                    "rule": event.rule,
                    "seq": event.seq,
                    "kind": event.kind,
                    "severity": event.severity,
                    "value": event.value,
                    "threshold": event.threshold,
                    "summary": event.summary,
                    "at": event.at.isoformat(),
                    "notified": outcome,
                }
                for event, outcome in store.events(events)
            ],
        }

    return routes
