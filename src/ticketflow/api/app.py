"""``create_app(runtime)``: the HTTP API over a started (or startable) durable runtime.

Intake answers 202 once the message is durably stored and enqueued; processing happens in the runtime.
Every rejection is a 4xx whose body says what was wrong and where. Routes live in ``api.routes``, one
module per resource; this module holds what is common to all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from ticketflow import __version__
from ticketflow.api.limits import BodyLimit, RequireJson, document_refusals
from ticketflow.api.routes import alerts as alert_routes
from ticketflow.api.routes import conversations, feedback, messages, operations, tickets, webhooks
from ticketflow.api.routes import reviews as review_routes
from ticketflow.api.security import Guard, Refused
from ticketflow.domain.access import Principal
from ticketflow.errors import InputError, SignatureError, UnreadableInput
from ticketflow.runtime.service import Runtime

MAX_BODY_BYTES = 256 * 1024
"""The default of ``[api] max_body_bytes``."""


def problem(
    status: int,
    title: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error body: ``{"error": title, "errors": [{"where", "problem", "type"}]}``."""
    body: dict[str, Any] = {"error": title}
    if errors:
        body["errors"] = errors
    return JSONResponse(status_code=status, content=body, headers=headers)


def create_app(runtime: Runtime, *, manage_runtime: bool = True) -> FastAPI:
    """The app; with ``manage_runtime`` the runtime starts and stops with the server.

    Every route but ``/healthz`` needs an API key with the route's scope; ``/metrics`` too unless
    ``[api] metrics_public``. There is no interactive ``/docs`` (it would load scripts from a CDN, and it
    answers without credentials); the OpenAPI document is at ``/openapi.json`` for any valid key.
    """
    settings = runtime.engine.settings.api

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
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    console = runtime.engine.settings.console
    guard = Guard(runtime.engine.api_keys, runtime.store.users, timedelta(minutes=console.idle_minutes))
    app.state.guard = guard
    app.exception_handler(RequestValidationError)(invalid)
    app.exception_handler(InputError)(refused)
    app.exception_handler(SignatureError)(refused)
    app.exception_handler(Refused)(denied)
    app.exception_handler(HTTPException)(http_error)
    for module in (messages, tickets, operations, webhooks, conversations, feedback):
        app.include_router(module.router(runtime, guard))
    app.include_router(alert_routes.router(runtime, guard))
    app.include_router(review_routes.router(runtime, guard))
    app.include_router(schema_route(app, guard))
    # outermost last: the body limit and the content type are checked before anything else reads the body
    app.add_middleware(RequireJson)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Api-Key"],
        )
    return app


def schema_route(app: FastAPI, guard: Guard) -> APIRouter:
    """``GET /openapi.json`` for any authenticated caller, with the body limits' refusals in every operation
    they guard (the middleware answers them before a route's own ``responses`` apply)."""
    routes = APIRouter()
    anyone_with_a_key = guard.authenticated()

    @routes.get("/openapi.json", include_in_schema=False)
    def openapi(_: Principal = Depends(anyone_with_a_key)) -> dict[str, Any]:
        return document_refusals(app.openapi())

    return routes


async def denied(_: Request, exc: Exception) -> JSONResponse:
    """401 (no valid key) or 403 (a key without the scope), with ``WWW-Authenticate`` on 401."""
    assert isinstance(exc, Refused)
    return problem(exc.status, exc.title, headers=exc.headers)


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    """A route's own refusal (404, 429 …) in the same JSON shape as every other rejection."""
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))


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
