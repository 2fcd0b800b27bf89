"""``GET /v1/tickets/{id}``: a ticket as a person or a client reads it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from ticketflow.domain.ids import TicketId
from ticketflow.runtime.service import Runtime


def router(runtime: Runtime) -> APIRouter:
    """The ticket read route over ``runtime``'s store."""
    routes = APIRouter()

    @routes.get(
        "/v1/tickets/{ticket_id}", summary="A ticket: status, decision, draft, checks, outcome, ledger"
    )
    def ticket(ticket_id: str) -> dict[str, Any]:
        view = runtime.tickets.view(TicketId(ticket_id))
        if view is None:
            raise HTTPException(status_code=404, detail=f"no ticket {ticket_id!r}")
        return view.to_json()

    return routes
