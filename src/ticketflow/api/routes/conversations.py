"""``GET /v1/conversations/{conversation_id}/events``: a conversation's events as server-sent events.

A chat widget opens the stream instead of polling its ticket: each customer message, each ticket's outcome
and each delivery (sent or failed) arrives as one event with an ``id:``; reconnecting with ``Last-Event-ID``
resumes after it. The store is read every ``POLL_S``; the stream ends after ``idle`` seconds without a new
event (default 30, at most 300), so no stream runs forever — the client reconnects with its last id.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ticketflow.api.security import Guard
from ticketflow.domain.access import Principal, Scope
from ticketflow.domain.events import ConversationEvent
from ticketflow.domain.ids import ConversationId
from ticketflow.runtime.service import Runtime

POLL_S = 0.5
MAX_IDLE_S = 300.0

REJECTIONS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API key"},
    403: {"description": "The API key lacks the `read` scope"},
    404: {"description": "No such conversation"},
}


def frame(event: ConversationEvent) -> str:
    """One event in the ``text/event-stream`` format."""
    data = json.dumps({"at": event.at.isoformat(), **event.data}, ensure_ascii=False)
    return f"id: {event.id}\nevent: {event.event}\ndata: {data}\n\n"


def router(runtime: Runtime, guard: Guard) -> APIRouter:
    """The event stream route over ``runtime``'s store, for keys with the ``read`` scope."""
    routes = APIRouter()
    reader = guard.require(Scope.READ)
    source = runtime.store.events

    @routes.get(
        "/v1/conversations/{conversation_id}/events",
        summary="A conversation's messages, outcomes and deliveries, as server-sent events",
        responses=REJECTIONS,
        response_class=StreamingResponse,
    )
    async def events(
        conversation_id: str,
        request: Request,
        idle: float = Query(30.0, gt=0, le=MAX_IDLE_S, description="end after this many quiet seconds"),
        last_event_id: str | None = Header(None, alias="Last-Event-ID"),
        _: Principal = Depends(reader),
    ) -> StreamingResponse:
        conversation = ConversationId(conversation_id)
        if not await run_in_threadpool(source.exists, conversation):
            raise HTTPException(status_code=404, detail=f"no conversation {conversation_id!r}")
        return StreamingResponse(
            stream(conversation, request, idle, last_event_id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def stream(
        conversation: ConversationId, request: Request, idle: float, last: str | None
    ) -> AsyncIterator[str]:
        seen: set[str] = set()
        if last:
            past = await run_in_threadpool(source.events, conversation)
            ids = [e.id for e in past]
            if last in ids:
                seen.update(ids[: ids.index(last) + 1])
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < idle:
            for event in await run_in_threadpool(source.events, conversation):
                if event.id not in seen:
                    seen.add(event.id)
                    quiet_since = time.monotonic()
                    yield frame(event)
            if await request.is_disconnected():
                return
            await asyncio.sleep(POLL_S)

    return routes
