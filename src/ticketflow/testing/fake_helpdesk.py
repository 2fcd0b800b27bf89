"""What every fake helpdesk shares: a request log, scripted failures (429 with Retry-After, 5xx), and a way to
deliver a webhook to a URL, so the Zendesk, Intercom and Freshdesk fakes differ only in their own API.

A fake is a FastAPI app (serve it with :func:`ticketflow.testing.server.serve`); subclasses add their routes
to ``self.app`` and call :meth:`check_auth` in each.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse


@dataclass(frozen=True, slots=True)
class Logged:
    """One request the fake received."""

    method: str
    path: str
    body: bytes
    headers: Mapping[str, str]
    at: float = field(default_factory=time.monotonic)
    """When it arrived (``time.monotonic()``): how long a client waited between two calls."""
    scripted: int | None = None
    """The status of the scripted failure (:meth:`FakeHelpdesk.fail`) it was answered with, if any."""


@dataclass
class Failure:
    """A scripted answer given instead of the real one, ``times`` times, to requests matching ``path``."""

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    path: str = ""
    """A substring of the request path this failure applies to; empty: every path."""
    json: bool = True


class FakeHelpdesk:
    """Base of the helpdesk fakes: log every request, answer scripted failures first."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.app = FastAPI(title=f"fake {name}")
        self.requests: list[Logged] = []
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self.app.middleware("http")(self._log_and_fail)

    def fail(self, failure: Failure) -> None:
        """Answer the next matching request(s) with ``failure`` instead of serving them."""
        with self._lock:
            self._failures.append(failure)

    def rate_limit(self, retry_after: float = 1.0, times: int = 1, path: str = "") -> None:
        """The next ``times`` matching requests get 429 with ``Retry-After`` (over the limit)."""
        headers = {"Retry-After": f"{retry_after:g}"}
        self.fail(Failure(429, "Rate limit exceeded", headers, times, path, json=False))

    def calls(self, method: str, path_part: str = "") -> list[Logged]:
        """The logged requests with this method whose path contains ``path_part``."""
        return [r for r in self.requests if r.method == method and path_part in r.path]

    async def _log_and_fail(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        body = await request.body()
        with self._lock:
            failure = next((f for f in self._failures if f.path in request.url.path), None)
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
            scripted = failure.status if failure is not None else None
            self.requests.append(
                Logged(request.method, request.url.path, body, dict(request.headers), scripted=scripted)
            )
        if failure is not None:
            if failure.json:
                return JSONResponse({"error": failure.body or "scripted"}, failure.status, failure.headers)
            return PlainTextResponse(failure.body, failure.status, failure.headers)
        return await call_next(request)

    @staticmethod
    def unauthorized(message: str = "Couldn't authenticate you") -> JSONResponse:
        """The 401 a helpdesk answers to bad credentials."""
        return JSONResponse({"error": message}, 401)


def deliver_webhook(
    url: str, body: bytes, headers: Mapping[str, str], timeout_s: float = 30.0
) -> httpx.Response:
    """POST a webhook exactly as built (the signature covers these bytes), as the helpdesk would."""
    with httpx.Client(timeout=timeout_s) as client:
        return client.post(url, content=body, headers={"Content-Type": "application/json", **headers})


def json_bytes(payload: Any) -> bytes:
    """A payload serialised once, so the bytes signed are the bytes sent."""

    return json.dumps(payload, separators=(",", ":")).encode()
