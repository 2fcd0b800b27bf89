"""``POST /v1/messages``: intake for the HTTP API channel."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ticketflow.channels.api import MessageIn
from ticketflow.runtime.service import Runtime


class Accepted(BaseModel):
    """The answer to an accepted message: its ticket, and whether it had been accepted before."""

    ticket_id: str
    status: str
    duplicate: bool


def router(runtime: Runtime) -> APIRouter:
    """The intake route over ``runtime``: 202 once the message is durably stored and enqueued."""
    routes = APIRouter()

    @routes.post(
        "/v1/messages", status_code=202, response_model=Accepted, summary="Submit a customer message"
    )
    def submit(message: MessageIn) -> Accepted:
        ticket_id, created = runtime.submit(message.to_message())
        view = runtime.store.ticket_view(ticket_id)
        return Accepted(
            ticket_id=ticket_id, status=view["status"] if view else "queued", duplicate=not created
        )

    return routes
