"""``create_app(runtime)``: the HTTP API over a started (or startable) durable runtime.

Intake answers 202 once the message is durably stored and enqueued; processing happens in the runtime.
Every rejection is a 4xx whose body says what was wrong and where. Routes live in ``api.routes``, one
module per resource; this module holds what is common to all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ticketflow import __version__
from ticketflow.api.routes import messages, operations, tickets
from ticketflow.errors import InputError, SignatureError, UnreadableInput
from ticketflow.runtime.service import Runtime

MAX_BODY_BYTES = 256 * 1024


def problem(status: int, title: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    """A JSON error body: ``{"error": title, "errors": [{"where", "problem", "type"}]}``."""
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
    app.middleware("http")(limit_body)
    app.exception_handler(RequestValidationError)(invalid)
    app.exception_handler(InputError)(refused)
    app.exception_handler(SignatureError)(refused)
    for module in (messages, tickets, operations):
        app.include_router(module.router(runtime))
    return app


async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Refuse a body over ``MAX_BODY_BYTES`` with 413, and a malformed ``Content-Length`` with 400."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            return problem(400, "Content-Length is not a number")
        if int(declared) > MAX_BODY_BYTES:
            return problem(413, f"body of {declared} bytes exceeds the {MAX_BODY_BYTES}-byte limit")
    elif request.method in ("POST", "PUT", "PATCH"):
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return problem(413, f"body of {len(body)} bytes exceeds the {MAX_BODY_BYTES}-byte limit")
    return await call_next(request)


async def invalid(_: Request, exc: Exception) -> JSONResponse:
    """A request that fails validation: 400 when the body is not JSON, else 422 naming each field."""
    assert isinstance(exc, RequestValidationError)
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
    return problem(400 if malformed else 422, title, errors)


async def refused(_: Request, exc: Exception) -> JSONResponse:
    """A request a channel refused: 401 unsigned, 400 unreadable, else 422 with each located problem."""
    if isinstance(exc, SignatureError):
        return problem(401, str(exc))
    assert isinstance(exc, InputError)
    return problem(400 if isinstance(exc, UnreadableInput) else 422, str(exc), exc.errors)
