"""Errors as the API sends them: the ones a test scripts (:class:`ScriptedError`) and the ones the fake
raises itself for a request the API would refuse (:class:`ApiError`), both with the exact error body."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse

from ticketflow.testing.fake_anthropic.wire import next_id


@dataclass(frozen=True, slots=True)
class ScriptedError:
    """One error response the fake sends instead of answering the next request."""

    status: int
    type: str
    message: str
    retry_after: float | None = None
    error_code: str | None = None
    mid_stream: bool = False
    """For a streaming request: send the ``error`` event after ``message_start`` instead of an HTTP error."""

    @classmethod
    def rate_limited(cls, retry_after: float = 0.0) -> ScriptedError:
        return cls(429, "rate_limit_error", "Number of requests has exceeded your rate limit", retry_after)

    @classmethod
    def overloaded(cls) -> ScriptedError:
        return cls(529, "overloaded_error", "Overloaded")

    @classmethod
    def server_error(cls) -> ScriptedError:
        return cls(500, "api_error", "Internal server error")

    @classmethod
    def bad_request(cls, message: str = "invalid request") -> ScriptedError:
        return cls(400, "invalid_request_error", message)

    @classmethod
    def spend_limit(cls) -> ScriptedError:
        return cls(
            429,
            "rate_limit_error",
            "You have reached your specified workspace API usage limits.",
            error_code="enforced_spend_limit_reached",
        )


@dataclass
class ErrorScript:
    """The scripted errors still to send, first in first out (message requests take them one each)."""

    _pending: deque[ScriptedError] = field(default_factory=deque, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def extend(self, errors: tuple[ScriptedError, ...]) -> None:
        with self._lock:
            self._pending.extend(errors)

    def next(self) -> ScriptedError | None:
        with self._lock:
            return self._pending.popleft() if self._pending else None


class ApiError(Exception):
    """A request the API refuses (bad auth, parameters, ids): the endpoint answers it with :func:`error`."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message


def error(status: int, type_: str, message: str, request_id: str, **extra: Any) -> JSONResponse:
    """The API's error response; ``extra`` may carry ``error_code`` (a detail) and ``retry_after`` (s)."""
    body: dict[str, Any] = {"type": type_, "message": message}
    if extra.get("error_code"):
        body["details"] = {"error_code": extra["error_code"]}
    headers = {"request-id": request_id}
    if extra.get("retry_after") is not None:
        headers["retry-after"] = f"{extra['retry_after']:g}"
    return JSONResponse(
        {"type": "error", "error": body, "request_id": request_id}, status_code=status, headers=headers
    )


def refused(exc: ApiError, request_id: str | None = None) -> JSONResponse:
    """The response to a refused request: under its own id once recorded, else under a fresh one."""
    return error(exc.status, exc.type, exc.message, request_id or next_id("req_fake"))


def scripted(failure: ScriptedError, request_id: str) -> JSONResponse:
    """The HTTP response of a scripted error."""
    return error(
        failure.status,
        failure.type,
        failure.message,
        request_id,
        retry_after=failure.retry_after,
        error_code=failure.error_code,
    )
