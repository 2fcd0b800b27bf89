"""Limits applied before a request reaches a route: body size while streaming, and the JSON content type.

:class:`BodyLimit` is plain ASGI so it sees the body as it arrives: a declared ``Content-Length`` over the
limit is refused at once, and a chunked body is read at most one byte past the limit, so a huge upload costs
the server no more memory than the limit itself. :class:`RequireJson` refuses a body without
``Content-Type: application/json`` (415): a web page can send a form or ``text/plain`` cross-site without a
preflight, never JSON, so this is also what keeps browsers from posting to the API on a user's behalf.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
JSON_PREFIXES = ("/v1/",)
"""Paths whose bodies must be JSON (:class:`RequireJson`)."""

REFUSALS: dict[str, str] = {
    "400": "The body cannot be read: not valid JSON, or a Content-Length that is not a number",
    "413": "The body is over the size limit (`[api] max_body_bytes`); refused while it streams",
}
"""What :class:`BodyLimit` (and FastAPI, for a body that is not JSON) answers on any route taking a body."""
NOT_JSON = {"415": "The body is not sent as `application/json`"}
"""What :class:`RequireJson` answers under :data:`JSON_PREFIXES`."""


def document_refusals(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (an OpenAPI document) with the answers these limits give before any route runs added to
    every operation they apply to, so the document lists every status the API returns. A route's own
    description of a status is kept."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method.upper() not in WITH_BODY:
                continue
            added = {**REFUSALS, **(NOT_JSON if path.startswith(JSON_PREFIXES) else {})}
            responses = operation.setdefault("responses", {})
            for status, description in added.items():
                responses.setdefault(status, {"description": description})
    return schema


async def _problem(send: Send, status: int, title: str) -> None:
    body = json.dumps({"error": title}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, reading no more than ``max_bytes + 1`` of them."""

    def __init__(self, app: App, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in WITH_BODY:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _problem(send, 400, "Content-Length is not a number")
                return
            if int(declared) > self.max_bytes:
                await _problem(send, 413, f"body of {declared} bytes exceeds the {self.max_bytes}-byte limit")
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _problem(send, 413, f"body exceeds the {self.max_bytes}-byte limit")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class RequireJson:
    """Refuse a body on a route under ``prefixes`` unless its content type is JSON (415)."""

    def __init__(self, app: App, prefixes: tuple[str, ...] = JSON_PREFIXES) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("method") in WITH_BODY
            and str(scope.get("path", "")).startswith(self.prefixes)
        ):
            kind = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
            if kind != "application/json":
                await _problem(send, 415, "the body must be JSON, sent with Content-Type: application/json")
                return
        await self.app(scope, receive, send)
