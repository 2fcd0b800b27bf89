"""A faithful fake of the Anthropic API, as a loopback ASGI app for tests, demos and benchmarks.

It speaks the wire formats of ``../shared/FACTS.md``: ``POST /v1/messages`` (plain and ``stream: true``
server-sent events), ``POST /v1/messages/count_tokens`` and the Message Batches endpoints. Point the real
SDK at it::

    fake = FakeAnthropic()
    with serve(fake.app) as server:
        client = anthropic.Anthropic(api_key="test", base_url=server.url)
        client.messages.create(model="claude-sonnet-5-5", max_tokens=100, messages=[...])

What it models, so the code under test meets the same behaviour as in production:

- both auth styles (``Authorization: Bearer`` and ``x-api-key``) and a ``request-id`` on every response;
- usage with cache fields: a prefix marked with ``cache_control`` is written the first time and read while
  it lives (5 minutes or 1 hour, refreshed on each read), but only when it is at least the model's minimum
  cacheable length (:data:`MIN_CACHEABLE_TOKENS`, data); shorter prefixes are silently not cached;
- structured output: with ``output_config.format`` the responder's value is sent as JSON text;
- scripted errors (:meth:`FakeAnthropic.fail`), with the exact error bodies and ``retry-after`` headers,
  and injected latency;
- Sonnet 5.5's refusal of sampling parameters, unknown models (404) and the 4-breakpoint limit.

Token counts are deterministic (one token per 4 characters, rounded up), not a real tokenizer.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MIN_CACHEABLE_TOKENS: dict[str, int] = {
    "claude-sonnet-5-5": 1024,  # UNCONFIRMED: assumed like Sonnet 5
    "claude-sonnet-5": 1024,
    "claude-sonnet-4-5": 1024,
    "claude-sonnet-4-5-20250929": 1024,
    "claude-haiku-5-5": 4096,  # UNCONFIRMED: assumed like Haiku 4.5
    "claude-haiku-4-5": 4096,
    "claude-haiku-4-5-20251001": 4096,
}
"""Minimum cacheable prefix per model (tokens). The models the fake knows are this table's keys."""

REJECTS_SAMPLING = frozenset({"claude-sonnet-5-5", "claude-sonnet-5"})
"""Models that answer 400 to ``temperature``, ``top_p`` or ``top_k``."""

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
MAX_BREAKPOINTS = 4
_ids = itertools.count(1)


def count_tokens(text: str) -> int:
    """The fake's tokenizer: one token per 4 characters, rounded up."""
    return math.ceil(len(text) / 4) if text else 0


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


@dataclass(frozen=True, slots=True)
class Reply:
    """What a responder returns: text (or a JSON value, for structured output) and how the turn ended."""

    text: str | None = None
    value: Any = None
    stop_reason: str = "end_turn"
    output_tokens: int | None = None


Responder = Callable[[dict[str, Any]], "Reply | str | dict[str, Any]"]
"""Decides the content of a reply from the request body; a dict is sent as JSON text."""


@dataclass
class Recorded:
    """One request as the fake saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    request_id: str
    status: int = 200


@dataclass
class _Batch:
    id: str
    created_at: datetime
    results: list[dict[str, Any]]
    polls_left: int
    status: str = "in_progress"
    cancel_initiated_at: datetime | None = None
    ended_at: datetime | None = None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def sample_for_schema(schema: dict[str, Any]) -> Any:
    """The simplest value valid for a JSON schema (objects get every property)."""
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if isinstance(kind, list):
        kind = "null" if "null" in kind else kind[0]
    if kind == "object":
        props = schema.get("properties", {})
        return {name: sample_for_schema(sub) for name, sub in props.items()}
    if kind == "array":
        return []
    if kind == "string":
        return "ok"
    if kind in ("number", "integer"):
        return 1
    if kind == "boolean":
        return True
    return None


def default_responder(body: dict[str, Any]) -> Reply | str | dict[str, Any]:
    """A schema-valid sample for structured requests; else a short fixed text."""
    schema = _schema_of(body)
    if schema is not None:
        return dict(sample_for_schema(schema)) if schema.get("type") == "object" else Reply(value=None)
    return Reply(text="Hello from the fake Anthropic API.")


_SOURCE = re.compile(r"^\[([^\]]+)\]")


def support_responder(body: dict[str, Any]) -> Reply | str | dict[str, Any]:
    """A plausible support agent for ticketflow's reply schema: it answers with the first two sentences of
    the first KNOWLEDGE passage of the prompt and cites it, and escalates (``no_answer``) without one."""
    prompt = _last_user_text(body)
    knowledge = prompt.split("KNOWLEDGE:\n", 1)[1] if "KNOWLEDGE:\n" in prompt else ""
    knowledge = knowledge.split("\n\n", 1)[0] if knowledge else ""
    lines = [ln for ln in knowledge.split("\n---\n")[0].splitlines() if ln.strip()]
    if len(lines) < 2:
        return {
            "reply": "",
            "action": "escalate",
            "escalation_reason": "no_answer",
            "cited_sources": [],
            "confidence": 0.2,
        }
    match = _SOURCE.match(lines[0])
    text = re.sub(r"\*\*|__|`", "", " ".join(lines[1:]))
    sentences = re.split(r"(?<=[.!?])\s+", text)
    body_text = " ".join(sentences[:2])
    reply = (
        f"Hi there,\n\nThanks for getting in touch. {body_text}\n\n"
        "If anything is still unclear, just reply to this message and we'll help."
    )
    return {
        "reply": reply,
        "action": "reply",
        "escalation_reason": None,
        "cited_sources": [match.group(1)] if match else [],
        "confidence": 0.8,
    }


RESPONDERS: dict[str, Responder] = {"default": default_responder, "support": support_responder}


def _schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = (body.get("output_config") or {}).get("format") or {}
    if fmt.get("type") == "json_schema" and isinstance(fmt.get("schema"), dict):
        return dict(fmt["schema"])
    return None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def _blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The prompt as an ordered list of cacheable blocks: tools, then system, then message content."""
    blocks: list[dict[str, Any]] = [
        {"text": json.dumps({k: v for k, v in t.items() if k != "cache_control"}, sort_keys=True), **t}
        for t in body.get("tools") or []
    ]
    system = body.get("system")
    if isinstance(system, str):
        blocks.append({"type": "text", "text": system})
    elif isinstance(system, list):
        blocks.extend(dict(b) for b in system)
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            blocks.append({"type": "text", "text": content, "role": message.get("role")})
        else:
            blocks.extend({**b, "role": message.get("role")} for b in content or [])
    return blocks


class ApiError(Exception):
    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message


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
    _errors: deque[ScriptedError] = field(default_factory=deque)
    _cache: dict[str, float] = field(default_factory=dict)
    _batches: dict[str, _Batch] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/v1/messages", self._messages, methods=["POST"]),
                Route("/v1/messages/count_tokens", self._count_tokens, methods=["POST"]),
                Route("/v1/messages/batches", self._create_batch, methods=["POST"]),
                Route("/v1/messages/batches", self._list_batches, methods=["GET"]),
                Route("/v1/messages/batches/{batch_id}", self._retrieve_batch, methods=["GET"]),
                Route("/v1/messages/batches/{batch_id}/cancel", self._cancel_batch, methods=["POST"]),
                Route("/v1/messages/batches/{batch_id}/results", self._batch_results, methods=["GET"]),
            ]
        )

    # -- scripting ----------------------------------------------------------------------------------------

    def fail(self, *errors: ScriptedError) -> None:
        """The next ``len(errors)`` message requests get these errors, in order."""
        with self._lock:
            self._errors.extend(errors)

    @property
    def message_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/messages"]

    def forget_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- plumbing -----------------------------------------------------------------------------------------

    @staticmethod
    def _request_id() -> str:
        return f"req_fake{next(_ids):012d}"

    @staticmethod
    def _error(status: int, type_: str, message: str, request_id: str, **extra: Any) -> JSONResponse:
        error: dict[str, Any] = {"type": type_, "message": message}
        if extra.get("error_code"):
            error["details"] = {"error_code": extra["error_code"]}
        headers = {"request-id": request_id}
        if extra.get("retry_after") is not None:
            headers["retry-after"] = f"{extra['retry_after']:g}"
        return JSONResponse(
            {"type": "error", "error": error, "request_id": request_id}, status_code=status, headers=headers
        )

    async def _admit(self, request: Request) -> tuple[dict[str, Any], Recorded]:
        """Authenticate, parse and record a request; raise ``ApiError`` for what the API would refuse."""
        request_id = self._request_id()
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

    def _check_params(self, body: dict[str, Any], *, needs_max_tokens: bool = True) -> str:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ApiError(400, "invalid_request_error", "model: Field required")
        if model not in self.min_cacheable:
            raise ApiError(404, "not_found_error", f"model: {model}")
        if needs_max_tokens and not isinstance(body.get("max_tokens"), int):
            raise ApiError(400, "invalid_request_error", "max_tokens: Field required")
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            raise ApiError(400, "invalid_request_error", "messages: Field required")
        sampling = [p for p in ("temperature", "top_p", "top_k") if p in body]
        if sampling and model in REJECTS_SAMPLING:
            raise ApiError(
                400, "invalid_request_error", f"{sampling[0]}: not supported for this model; remove it"
            )
        breakpoints = sum(1 for b in _blocks(body) if b.get("cache_control"))
        if breakpoints > MAX_BREAKPOINTS:
            raise ApiError(
                400,
                "invalid_request_error",
                f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
                f"Found {breakpoints}.",
            )
        return model

    def _usage(self, model: str, body: dict[str, Any]) -> dict[str, int]:
        """Input, cache-write and cache-read tokens for this prompt, updating the prompt cache."""
        blocks = _blocks(body)
        if body.get("cache_control") and blocks:  # automatic: on the last cacheable block
            blocks[-1] = {**blocks[-1], "cache_control": body["cache_control"]}
        sizes = [count_tokens(b.get("text", "")) for b in blocks]
        total = sum(sizes)
        marks = [i for i, b in enumerate(blocks) if b.get("cache_control")]
        written = read = 0
        now = self.clock()
        minimum = self.min_cacheable.get(model, 1024)
        with self._lock:
            for i in reversed(marks):
                prefix = sum(sizes[: i + 1])
                if prefix < minimum:
                    continue
                key = self._cache_key(model, blocks[: i + 1])
                ttl = TTL_SECONDS.get((blocks[i]["cache_control"] or {}).get("ttl", "5m"), 300.0)
                if self._cache.get(key, -1.0) > now:
                    read = prefix
                    self._cache[key] = now + ttl
                    break
                self._cache[key] = now + ttl
                written = max(written, prefix)
            written = max(0, written - read)
        return {
            "input_tokens": total - written - read,
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
        }

    @staticmethod
    def _cache_key(model: str, blocks: list[dict[str, Any]]) -> str:
        plain = [{k: v for k, v in b.items() if k != "cache_control"} for b in blocks]
        return hashlib.sha256(json.dumps([model, plain], sort_keys=True).encode()).hexdigest()

    def _answer(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        """The message object for a valid request (usage included)."""
        usage = self._usage(model, body)
        produced = self.responder(body)
        reply = produced if isinstance(produced, Reply) else None
        if isinstance(produced, str):
            reply = Reply(text=produced)
        elif isinstance(produced, dict):
            reply = Reply(value=produced)
        assert reply is not None
        text = reply.text if reply.text is not None else json.dumps(reply.value)
        output = reply.output_tokens if reply.output_tokens is not None else max(1, count_tokens(text))
        stop_reason = reply.stop_reason
        max_tokens = int(body.get("max_tokens") or 0)
        if max_tokens and output > max_tokens:
            text, output, stop_reason = text[: max_tokens * 4], max_tokens, "max_tokens"
        return {
            "id": f"msg_fake{next(_ids):012d}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": output},
        }

    def _next_error(self) -> ScriptedError | None:
        with self._lock:
            return self._errors.popleft() if self._errors else None

    # -- endpoints ----------------------------------------------------------------------------------------

    async def _messages(self, request: Request) -> Response:
        try:
            body, record = await self._admit(request)
        except ApiError as exc:
            return self._error(exc.status, exc.type, exc.message, self._request_id())
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        scripted = self._next_error()
        streaming = bool(body.get("stream"))
        if scripted is not None and not (scripted.mid_stream and streaming):
            record.status = scripted.status
            return self._error(
                scripted.status,
                scripted.type,
                scripted.message,
                record.request_id,
                retry_after=scripted.retry_after,
                error_code=scripted.error_code,
            )
        try:
            model = self._check_params(body)
            message = self._answer(model, body)
        except ApiError as exc:
            record.status = exc.status
            return self._error(exc.status, exc.type, exc.message, record.request_id)
        if streaming:
            return StreamingResponse(
                self._events(message, scripted),
                media_type="text/event-stream",
                headers={"request-id": record.request_id, "cache-control": "no-cache"},
            )
        return JSONResponse(message, headers={"request-id": record.request_id})

    @staticmethod
    async def _events(message: dict[str, Any], error: ScriptedError | None) -> AsyncIterator[bytes]:
        def event(name: str, data: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

        usage = message["usage"]
        start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
        start["usage"] = {**usage, "output_tokens": 1}
        yield event("message_start", {"type": "message_start", "message": start})
        if error is not None:
            payload = {"type": "error", "error": {"type": error.type, "message": error.message}}
            yield event("error", payload)
            return
        yield event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
        yield event("ping", {"type": "ping"})
        text = message["content"][0]["text"]
        for i in range(0, len(text), 40):
            delta = {"type": "text_delta", "text": text[i : i + 40]}
            yield event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        yield event("content_block_stop", {"type": "content_block_stop", "index": 0})
        yield event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )
        yield event("message_stop", {"type": "message_stop"})

    async def _count_tokens(self, request: Request) -> Response:
        try:
            body, record = await self._admit(request)
            self._check_params(body, needs_max_tokens=False)
        except ApiError as exc:
            return self._error(exc.status, exc.type, exc.message, self._request_id())
        total = sum(count_tokens(b.get("text", "")) for b in _blocks(body))
        return JSONResponse({"input_tokens": total}, headers={"request-id": record.request_id})

    # -- batches ------------------------------------------------------------------------------------------

    def _batch_json(self, batch: _Batch, base_url: str) -> dict[str, Any]:
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if batch.status == "ended":
            for result in batch.results:
                counts[result["result"]["type"]] += 1
        else:
            counts["processing"] = len(batch.results)
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": batch.status,
            "request_counts": counts,
            "ended_at": _iso(batch.ended_at),
            "created_at": _iso(batch.created_at),
            "expires_at": _iso(batch.created_at + timedelta(hours=24)),
            "archived_at": None,
            "cancel_initiated_at": _iso(batch.cancel_initiated_at),
            "results_url": (
                f"{base_url}v1/messages/batches/{batch.id}/results" if batch.status == "ended" else None
            ),
        }

    async def _create_batch(self, request: Request) -> Response:
        try:
            body, record = await self._admit(request)
            entries = body.get("requests")
            if not isinstance(entries, list) or not entries:
                raise ApiError(400, "invalid_request_error", "requests: Field required")
            if len(entries) > 100_000:
                raise ApiError(400, "invalid_request_error", "requests: at most 100,000 per batch")
        except ApiError as exc:
            return self._error(exc.status, exc.type, exc.message, self._request_id())
        results = []
        for entry in entries:
            custom_id, params = entry.get("custom_id"), entry.get("params") or {}
            try:
                model = self._check_params(params)
                result: dict[str, Any] = {"type": "succeeded", "message": self._answer(model, params)}
            except ApiError as exc:
                error = {"type": exc.type, "message": exc.message}
                result = {"type": "errored", "error": {"type": "error", "error": error}}
            results.append({"custom_id": custom_id, "result": result})
        batch = _Batch(f"msgbatch_fake{next(_ids):012d}", datetime.now(UTC), results, self.batch_polls)
        with self._lock:
            self._batches[batch.id] = batch
        return JSONResponse(
            self._batch_json(batch, str(request.base_url)), headers={"request-id": record.request_id}
        )

    def _find_batch(self, batch_id: str) -> _Batch:
        batch = self._batches.get(batch_id)
        if batch is None:
            raise ApiError(404, "not_found_error", f"batch {batch_id} not found")
        return batch

    async def _retrieve_batch(self, request: Request) -> Response:
        try:
            _, record = await self._admit(request)
            batch = self._find_batch(request.path_params["batch_id"])
        except ApiError as exc:
            return self._error(exc.status, exc.type, exc.message, self._request_id())
        with self._lock:
            if batch.status != "ended":
                batch.polls_left -= 1
                if batch.polls_left < 0:
                    self._end(batch)
        return JSONResponse(
            self._batch_json(batch, str(request.base_url)), headers={"request-id": record.request_id}
        )

    @staticmethod
    def _end(batch: _Batch) -> None:
        if batch.status == "canceling":
            for entry in batch.results:
                if entry["result"]["type"] == "succeeded":
                    entry["result"] = {"type": "canceled"}
        batch.status, batch.ended_at = "ended", datetime.now(UTC)

    async def _list_batches(self, request: Request) -> Response:
        try:
            _, record = await self._admit(request)
        except ApiError as exc:
            return self._error(exc.status, exc.type, exc.message, self._request_id())
        data = [self._batch_json(b, str(request.base_url)) for b in self._batches.values()]
        body = {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
        return JSONResponse(body, headers={"request-id": record.request_id})

    async def _cancel_batch(self, request: Request) -> Response:
        try:
            _, record = await self._admit(request)
            batch = self._find_batch(request.path_params["batch_id"])
        except ApiError as exc:
            return self._error(exc.status, exc.type, exc.message, self._request_id())
        with self._lock:
            if batch.status == "in_progress":
                batch.status, batch.cancel_initiated_at = "canceling", datetime.now(UTC)
        return JSONResponse(
            self._batch_json(batch, str(request.base_url)), headers={"request-id": record.request_id}
        )

    async def _batch_results(self, request: Request) -> Response:
        try:
            _, record = await self._admit(request)
            batch = self._find_batch(request.path_params["batch_id"])
            if batch.status != "ended":
                raise ApiError(400, "invalid_request_error", f"batch {batch.id} has not ended yet")
        except ApiError as exc:
            return self._error(exc.status, exc.type, exc.message, self._request_id())
        lines = "".join(json.dumps(r) + "\n" for r in batch.results)
        return Response(lines, media_type="application/binary", headers={"request-id": record.request_id})
