"""``FakeSlack``: a loopback Slack incoming webhook for tests, built from ``FACTS-channels.md`` §6.

What is confirmed is followed: the webhook is ``POST /services/T…/B…/<secret>`` with a JSON body holding
``text`` and/or ``blocks`` (other accepted keys: ``attachments``, ``response_type``, ``replace_original``,
``delete_original``, ``unfurl_links``, ``unfurl_media``, ``metadata``), and errors are told by the HTTP
status.
What is not (the 200 body, the error strings) is a switch: ``ok_body`` (``"ok"`` by default) and the bodies
below, which follow what Slack is commonly reported to answer:

- not JSON, or not an object, or a key Slack does not accept: 400 ``invalid_payload``;
- neither ``text`` nor ``blocks``: 400 ``no_text``;
- any other path: 404 ``no_service`` (a revoked or mistyped URL);
- :meth:`fail` queues answers for the next posts (e.g. ``fail(500, "internal_error", times=2)`` or
  ``fail(429, "rate_limited")``), to test retries.

Accepted messages are kept in ``messages`` (the parsed bodies), in arrival order.
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from ticketflow.testing.server import LoopbackServer

ACCEPTED_KEYS = frozenset(
    {
        "text",
        "blocks",
        "attachments",
        "response_type",
        "replace_original",
        "delete_original",
        "unfurl_links",
        "unfurl_media",
        "metadata",
        "thread_ts",
        "mrkdwn",
    }
)


class FakeSlack:
    """The fake webhook: ``url`` is what a workspace's ``TICKETFLOW_ALERTS_SLACK_WEBHOOK_URL`` holds."""

    def __init__(self, *, ok_body: str = "ok") -> None:
        self.ok_body = ok_body
        team, bot = secrets.token_hex(4).upper(), secrets.token_hex(4).upper()
        self.path = f"/services/T{team}/B{bot}/{secrets.token_hex(12)}"
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        self.content_types: list[str] = []
        self._failures: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._app())

    @property
    def url(self) -> str:
        """The incoming-webhook URL (a secret, as Slack's is)."""
        return self._server.url + self.path

    def fail(self, status: int, body: str, *, times: int = 1) -> None:
        """Answer the next ``times`` posts with ``status`` and ``body`` instead of accepting them."""
        with self._lock:
            self._failures.extend([(status, body)] * times)

    def texts(self) -> list[str]:
        """The fallback ``text`` of every message accepted."""
        with self._lock:
            return [str(m.get("text", "")) for m in self.messages]

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def webhook(path: str, request: Request) -> PlainTextResponse:
            raw = await request.body()
            with self._lock:
                self.requests += 1
                if "/" + path != self.path:
                    return PlainTextResponse("no_service", status_code=404)
                if self._failures:
                    status, body = self._failures.pop(0)
                    return PlainTextResponse(body, status_code=status)
                try:
                    payload = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    return PlainTextResponse("invalid_payload", status_code=400)
                if not isinstance(payload, dict) or set(payload) - ACCEPTED_KEYS:
                    return PlainTextResponse("invalid_payload", status_code=400)
                if not payload.get("text") and not payload.get("blocks"):
                    return PlainTextResponse("no_text", status_code=400)
                self.content_types.append(request.headers.get("content-type", ""))
                self.messages.append(payload)
                return PlainTextResponse(self.ok_body)

        return app

    def start(self) -> FakeSlack:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
