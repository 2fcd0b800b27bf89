"""``GET /v1/tickets/{id}``: a ticket as a person or a client reads it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from ticketflow.api.security import Guard
from ticketflow.domain.access import Principal, Scope
from ticketflow.domain.ids import TicketId
from ticketflow.runtime.service import Runtime

REJECTIONS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API key"},
    403: {"description": "The API key lacks the `read` scope"},
    404: {"description": "No such ticket"},
}


def router(runtime: Runtime, guard: Guard) -> APIRouter:
    """The ticket read route over ``runtime``'s store, for keys with the ``read`` scope."""
    routes = APIRouter()
    reader = guard.require(Scope.READ)

    @routes.get(
        "/v1/tickets/{ticket_id}",
        summary="A ticket: status, decision, draft, checks, outcome, ledger",
        responses=REJECTIONS,
    )
    def ticket(ticket_id: str, _: Principal = Depends(reader)) -> dict[str, Any]:
        view = runtime.tickets.view(TicketId(ticket_id))
        if view is None:
            raise HTTPException(status_code=404, detail=f"no ticket {ticket_id!r}")
        return view.to_json()

    return routes
