"""``GET /v1/tickets/{id}``: a ticket as a person or a client reads it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from ticketflow.api.security import Guard
from ticketflow.domain.access import Principal, Scope
from ticketflow.domain.feedback import now_utc
from ticketflow.domain.ids import TicketId
from ticketflow.domain.resolution import resolve
from ticketflow.domain.serialize import jsonable
from ticketflow.ports.store import FeedbackStore
from ticketflow.runtime.service import Runtime
from ticketflow.wiring.feedback import window

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
        body = view.to_json()
        body.update(feedback_state(runtime.store.feedback, view.id, window(runtime.engine.settings.feedback)))
        return body

    return routes


def feedback_state(store: FeedbackStore, ticket_id: TicketId, window: timedelta) -> dict[str, Any]:
    """The ticket's ``feedback`` (its rating, or null) and ``resolution`` (null unless it was answered
    automatically: the verdict, why, the customer's next message's time and ticket, the window's end)."""
    rated = store.feedback(ticket_id)
    answer = store.answer(ticket_id)
    resolution: dict[str, Any] | None = None
    if answer is not None:
        verdict = resolve(answer, now_utc(), window)
        follow = answer.follow_up
        resolution = {
            "state": verdict.state.value,
            "why": verdict.why.value,
            "answered_at": answer.answered_at.isoformat(),
            "decided_at": verdict.decided_at.isoformat() if verdict.decided_at else None,
            "window_ends": verdict.window_ends.isoformat(),
            "follow_up": {"at": follow.at.isoformat(), "ticket_id": follow.ticket_id} if follow else None,
        }
    feedback = jsonable(rated) if rated is not None else None
    return {"feedback": feedback, "resolution": resolution}
