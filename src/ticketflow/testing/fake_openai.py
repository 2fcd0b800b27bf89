"""A small fake of an OpenAI-compatible local server (Ollama, vLLM, llama.cpp), as a loopback ASGI app.

It answers ``POST /v1/chat/completions`` in the wire format those servers share:
``choices[0].message.content`` holds the text (the responder's value as JSON when ``response_format`` asks
for a JSON schema), ``finish_reason``, and ``usage`` with ``prompt_tokens`` / ``completion_tokens`` /
``total_tokens``. Errors can be scripted (:meth:`FakeOpenAI.fail`) with the ``{"error": {...}}`` body those
servers send::

    fake = FakeOpenAI(responder=lambda body: {"reply": "Hi", ...})
    with serve(fake.app) as server:
        provider = OpenAICompatibleProvider(base_url=f"{server.url}/v1", model="llama3.1:8b", schema=...)
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ticketflow.testing.fake_anthropic import count_tokens, sample_for_schema

Responder = Callable[[dict[str, Any]], "str | dict[str, Any]"]
"""The content of a reply, from the request body; a dict is sent as JSON text."""

_ids = itertools.count(1)


def default_responder(body: dict[str, Any]) -> str | dict[str, Any]:
    """A schema-valid sample when a JSON schema is asked for; else a short fixed text."""
    schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema")
    if isinstance(schema, dict):
        value = sample_for_schema(schema)
        return dict(value) if isinstance(value, dict) else json.dumps(value)
    return "Hello from the fake local model."


@dataclass
class FakeOpenAI:
    """The fake server; ``requests`` keeps every request body it received."""

    responder: Responder = default_responder
    models: frozenset[str] | None = None
    """Models the server has loaded; None accepts any name."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    _errors: deque[tuple[int, str]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])

    def fail(self, *errors: tuple[int, str]) -> None:
        """The next requests get these ``(status, message)`` errors, in order."""
        with self._lock:
            self._errors.extend(errors)

    @staticmethod
    def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
        return JSONResponse({"error": {"message": message, "type": kind, "code": None}}, status_code=status)

    async def _chat(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            return self._error(400, "the body is not JSON")
        with self._lock:
            self.requests.append(body)
            scripted = self._errors.popleft() if self._errors else None
        if scripted is not None:
            return self._error(scripted[0], scripted[1], "server_error")
        model = body.get("model")
        if not isinstance(model, str) or (self.models is not None and model not in self.models):
            return self._error(404, f"model '{model}' not found, try pulling it first", "not_found_error")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self._error(400, "messages: field required")
        produced = self.responder(body)
        text = produced if isinstance(produced, str) else json.dumps(produced)
        prompt = sum(count_tokens(str(m.get("content") or "")) for m in messages)
        completion = max(1, count_tokens(text))
        finish = "stop"
        limit = body.get("max_tokens")
        if isinstance(limit, int) and completion > limit:
            text, completion, finish = text[: limit * 4], limit, "length"
        return JSONResponse(
            {
                "id": f"chatcmpl-fake{next(_ids):08d}",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": finish,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        )
