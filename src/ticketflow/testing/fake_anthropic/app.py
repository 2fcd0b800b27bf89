"""``FakeAnthropic``: the routes, authentication and the record of every request, and the ways a test
scripts the fake; each endpoint lives in its own module."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from ticketflow.testing.fake_anthropic.batches import (
    Batches,
    batch_results,
    cancel_batch,
    create_batch,
    list_batches,
    retrieve_batch,
)
from ticketflow.testing.fake_anthropic.cache import MIN_CACHEABLE_TOKENS, PromptCache
from ticketflow.testing.fake_anthropic.counting import count_message_tokens
from ticketflow.testing.fake_anthropic.errors import ApiError, ErrorScript, ScriptedError
from ticketflow.testing.fake_anthropic.messages import create_message
from ticketflow.testing.fake_anthropic.responder import Responder, default_responder
from ticketflow.testing.fake_anthropic.wire import Recorded, next_id


@dataclass
class FakeAnthropic:
    """The fake API. Script it, then serve ``fake.app`` (see :func:`ticketflow.testing.server.serve`)."""

    responder: Responder = default_responder
    latency_s: float = 0.0
    api_keys: frozenset[str] | None = None
    """Accepted keys; None accepts any non-empty key."""
    min_cacheable: dict[str, int] = field(default_factory=lambda: dict(MIN_CACHEABLE_TOKENS))
    batch_polls: int = 1
    """How many retrievals a batch stays ``in_progress`` before it ends."""
    clock: Callable[[], float] = time.monotonic
    requests: list[Recorded] = field(default_factory=list)
    errors: ErrorScript = field(default_factory=ErrorScript, init=False, repr=False)
    cache: PromptCache = field(default_factory=PromptCache, init=False, repr=False)
    batches: Batches = field(default_factory=Batches, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        def route(path: str, endpoint: Callable[..., Any], method: str) -> Route:
            return Route(path, partial(endpoint, self), methods=[method])

        self.app = Starlette(
            routes=[
                route("/v1/messages", create_message, "POST"),
                route("/v1/messages/count_tokens", count_message_tokens, "POST"),
                route("/v1/messages/batches", create_batch, "POST"),
                route("/v1/messages/batches", list_batches, "GET"),
                route("/v1/messages/batches/{batch_id}", retrieve_batch, "GET"),
                route("/v1/messages/batches/{batch_id}/cancel", cancel_batch, "POST"),
                route("/v1/messages/batches/{batch_id}/results", batch_results, "GET"),
            ]
        )

    # -- scripting ----------------------------------------------------------------------------------------

    def fail(self, *errors: ScriptedError) -> None:
        """The next ``len(errors)`` message requests get these errors, in order."""
        self.errors.extend(errors)

    @property
    def message_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/messages"]

    def forget_cache(self) -> None:
        self.cache.clear()

    # -- every endpoint -----------------------------------------------------------------------------------

    async def admit(self, request: Request) -> tuple[dict[str, Any], Recorded]:
        """Authenticate, parse and record a request; raise ``ApiError`` for what the API would refuse."""
        request_id = next_id("req_fake")
        headers = {k.lower(): v for k, v in request.headers.items()}
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = {}
        record = Recorded(request.url.path, headers, body if isinstance(body, dict) else {}, request_id)
        with self._lock:
            self.requests.append(record)
        bearer = headers.get("authorization", "")
        key = bearer[7:] if bearer.lower().startswith("bearer ") else headers.get("x-api-key", "")
        if not key or (self.api_keys is not None and key not in self.api_keys):
            record.status = 401
            raise ApiError(401, "authentication_error", "invalid x-api-key")
        if "anthropic-version" not in headers:
            record.status = 400
            raise ApiError(400, "invalid_request_error", "anthropic-version: header is required")
        if not isinstance(body, dict):
            record.status = 400
            raise ApiError(400, "invalid_request_error", "the request body must be a JSON object")
        return body, record
