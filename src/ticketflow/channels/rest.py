"""A REST client for helpdesk APIs: JSON in and out, 429 honoured, transient failures retried, errors typed.

Every helpdesk adapter (Zendesk, Intercom, Freshdesk) calls its API through :class:`RestClient`, so they all
behave alike under load and faults:

- ``429`` waits for ``Retry-After`` (seconds, or ``retry-after-ms``) and tries again, up to ``max_retries``;
- ``408``, ``409``, ``5xx``, timeouts and refused connections are retried with exponential backoff and jitter;
- what is still failing after the retries raises :class:`~ticketflow.errors.ChannelUnavailable` (carrying the
  last ``retry_after``), so the durable sender tries again later;
- any other ``4xx`` raises :class:`~ticketflow.errors.DeliveryRefused` with the API's own error text, so the
  ticket goes to review with a reason a person can act on.

Secrets are sent as headers and never appear in an error message or a log line.

Inside :func:`patience` the calls a thread makes are held to a tighter budget than their client's own: a
webhook request reads the helpdesk back (an author, a ticket) while the helpdesk waits for its answer, so
there a 429 or an outage must turn quickly into ``ChannelUnavailable`` (a 503 asking for a redelivery)
instead of sleeping inline for minutes.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from ticketflow.errors import ChannelUnavailable, DeliveryRefused

log = logging.getLogger(__name__)

RETRIED = frozenset({408, 409, 425, 500, 502, 503, 504, 529})
MAX_WAIT_S = 60.0
"""A longer ``Retry-After`` is not slept inline: the call fails as unavailable, to be retried later."""


@dataclass(frozen=True, slots=True)
class Budget:
    """The most one call may spend: retries, one inline wait, and each request's timeout."""

    max_retries: int
    max_wait_s: float
    timeout_s: float


_budget = threading.local()


@contextmanager
def patience(*, max_retries: int, max_wait_s: float, timeout_s: float) -> Iterator[None]:
    """Calls made on this thread inside the block retry at most ``max_retries`` times, sleep at most
    ``max_wait_s`` at a time (a longer ``Retry-After`` fails at once, carrying the wait asked) and wait at
    most ``timeout_s`` per request, whatever their client allows; other threads keep their own budget."""
    previous = getattr(_budget, "value", None)
    _budget.value = Budget(max_retries, max_wait_s, timeout_s)
    try:
        yield
    finally:
        _budget.value = previous


def retry_after(response: httpx.Response) -> float | None:
    """The wait the server asked for, in seconds (``retry-after-ms`` or ``Retry-After`` seconds), if any."""
    ms = response.headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    seconds = response.headers.get("retry-after")
    if seconds is not None:
        try:
            return max(0.0, float(seconds))
        except ValueError:
            return None  # an HTTP date: rare from these APIs; fall back to backoff
    return None


def error_text(response: httpx.Response) -> str:
    """The API's own words for an error, from the common JSON error shapes, else the start of the body."""
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason_phrase
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "description", "message") if isinstance(body.get(k), str)]
        for item in body.get("errors") or []:
            if isinstance(item, dict):
                where = item.get("field")
                text = item.get("message") or item.get("code") or ""
                parts.append(f"{where}: {text}" if where else str(text))
        if isinstance(body.get("details"), dict):
            parts.append(str(body["details"])[:200])
        if parts:
            return "; ".join(parts)[:500]
    return str(body)[:300]


class RestClient:
    """JSON calls to one API root, with the retry policy above. ``sleep`` is injectable for tests."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout_s: float = 10.0,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self.max_retries = max_retries
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", **(headers or {})},
            auth=auth,
            timeout=timeout_s,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        decode: bool = True,
    ) -> Any:
        """One logical call; returns the decoded JSON body (None for an empty body, or when not ``decode``).

        ``content`` sends exact bytes instead of ``json`` (a signed body must be the bytes that were signed).
        """
        budget: Budget | None = getattr(_budget, "value", None)
        retries = self.max_retries if budget is None else min(self.max_retries, budget.max_retries)
        longest = MAX_WAIT_S if budget is None else min(MAX_WAIT_S, budget.max_wait_s)
        timeout: Any = httpx.USE_CLIENT_DEFAULT if budget is None else budget.timeout_s
        waited: float | None = None
        for attempt in range(retries + 1):
            try:
                response = self._client.request(
                    method, path, json=json, params=params, content=content, headers=headers, timeout=timeout
                )
            except httpx.TransportError as exc:
                problem = f"{self.name} {method} {path}: {type(exc).__name__}"
                if attempt == retries:
                    raise ChannelUnavailable(problem) from exc
                self._backoff(attempt, None, problem, longest)
                continue
            if response.status_code < 400:
                return response.json() if response.content and decode else None
            waited = retry_after(response)
            problem = f"{self.name} {method} {path} answered {response.status_code}: {error_text(response)}"
            if response.status_code != 429 and response.status_code not in RETRIED:
                raise DeliveryRefused(problem)
            if attempt == retries or (waited is not None and waited > longest):
                raise ChannelUnavailable(problem, retry_after=waited)
            self._backoff(attempt, waited, problem, longest)
        raise ChannelUnavailable(f"{self.name} {method} {path}: retries exhausted", retry_after=waited)

    def _backoff(self, attempt: int, asked: float | None, problem: str, longest: float) -> None:
        delay = (
            asked if asked is not None else min(0.5 * 2**attempt, 8.0, longest) * (0.5 + random.random() / 2)
        )
        log.warning("%s; retrying in %.2f s", problem, delay)
        self._sleep(delay)
