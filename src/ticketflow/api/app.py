"""``create_app(runtime)``: the HTTP API over a started (or startable) durable runtime.

Intake answers 202 once the message is durably stored and enqueued; processing happens in the runtime.
Every rejection is a 4xx whose body says what was wrong and where.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from ticketflow import __version__
from ticketflow.runtime.service import Runtime
from ticketflow.wiring import MessageIn

MAX_BODY_BYTES = 256 * 1024


class Accepted(BaseModel):
    ticket_id: str
    status: str
    duplicate: bool


def _problem(status: int, title: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": title}
    if errors:
        body["errors"] = errors
    return JSONResponse(status_code=status, content=body)


def create_app(runtime: Runtime, *, manage_runtime: bool = True) -> FastAPI:
    """The app; with ``manage_runtime`` the runtime starts and stops with the server."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # DBOS's synchronous API refuses to run on the event loop's thread
        if manage_runtime:
            await asyncio.to_thread(runtime.start)
        try:
            yield
        finally:
            if manage_runtime:
                await asyncio.to_thread(runtime.stop)

    app = FastAPI(
        title="ticketflow",
        version=__version__,
        description="Automate customer-support tickets with Claude: routing, grounding, validation, handoff.",
        lifespan=lifespan,
    )

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return _problem(400, "Content-Length is not a number")
            if int(declared) > MAX_BODY_BYTES:
                return _problem(413, f"body of {declared} bytes exceeds the {MAX_BODY_BYTES}-byte limit")
        elif request.method in ("POST", "PUT", "PATCH"):
            body = await request.body()
            if len(body) > MAX_BODY_BYTES:
                return _problem(413, f"body of {len(body)} bytes exceeds the {MAX_BODY_BYTES}-byte limit")
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "where": ".".join(str(p) for p in e.get("loc", ())),
                "problem": e.get("msg", ""),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        malformed = any(e["type"] == "json_invalid" for e in errors)
        title = "the body is not valid JSON" if malformed else "the message is invalid"
        return _problem(400 if malformed else 422, title, errors)

    @app.post("/v1/messages", status_code=202, response_model=Accepted, summary="Submit a customer message")
    def submit(message: MessageIn) -> Accepted:
        ticket_id, created = runtime.submit(message.to_message())
        view = runtime.store.ticket_view(ticket_id)
        return Accepted(
            ticket_id=ticket_id, status=view["status"] if view else "queued", duplicate=not created
        )

    @app.get("/v1/tickets/{ticket_id}", summary="A ticket: status, decision, draft, checks, outcome, ledger")
    def ticket(ticket_id: str) -> dict[str, Any]:
        view = runtime.store.ticket_view(ticket_id)
        if view is None:
            raise HTTPException(status_code=404, detail=f"no ticket {ticket_id!r}")
        return view

    @app.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", summary="Liveness and database reachability")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "tickets": runtime.store.counts()}

    return app
