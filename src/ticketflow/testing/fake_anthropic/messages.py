"""``POST /v1/messages``, plain and ``stream: true`` (server-sent events), and the message object itself,
which the batch endpoint reuses for each request of a batch."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ticketflow.testing.fake_anthropic.errors import ApiError, ScriptedError, refused, scripted
from ticketflow.testing.fake_anthropic.params import check_params
from ticketflow.testing.fake_anthropic.responder import as_reply
from ticketflow.testing.fake_anthropic.wire import count_tokens, next_id

if TYPE_CHECKING:
    from ticketflow.testing.fake_anthropic.app import FakeAnthropic


def answer(fake: FakeAnthropic, model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The message object for a valid request: the responder's reply, cut at ``max_tokens``, with usage."""
    usage = fake.cache.usage(model, body, fake.clock(), fake.min_cacheable.get(model, 1024))
    reply = as_reply(fake.responder(body))
    text = reply.text if reply.text is not None else json.dumps(reply.value)
    output = reply.output_tokens if reply.output_tokens is not None else max(1, count_tokens(text))
    stop_reason = reply.stop_reason
    max_tokens = int(body.get("max_tokens") or 0)
    if max_tokens and output > max_tokens:
        text, output, stop_reason = text[: max_tokens * 4], max_tokens, "max_tokens"
    return {
        "id": next_id("msg_fake"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": output},
    }


async def create_message(fake: FakeAnthropic, request: Request) -> Response:
    """One message: the next scripted error if any (mid-stream ones wait for the stream), else the answer."""
    try:
        body, record = await fake.admit(request)
    except ApiError as exc:
        return refused(exc)
    if fake.latency_s:
        await asyncio.sleep(fake.latency_s)
    failure = fake.errors.next()
    streaming = bool(body.get("stream"))
    if failure is not None and not (failure.mid_stream and streaming):
        record.status = failure.status
        return scripted(failure, record.request_id)
    try:
        message = answer(fake, check_params(body, fake.min_cacheable), body)
    except ApiError as exc:
        record.status = exc.status
        return refused(exc, record.request_id)
    if streaming:
        return StreamingResponse(
            events(message, failure),
            media_type="text/event-stream",
            headers={"request-id": record.request_id, "cache-control": "no-cache"},
        )
    return JSONResponse(message, headers={"request-id": record.request_id})


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


async def events(message: dict[str, Any], failure: ScriptedError | None) -> AsyncIterator[bytes]:
    """The message as the stream sends it, text in 40-character deltas; a mid-stream ``failure`` ends the
    stream with an ``error`` event right after ``message_start``."""
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**usage, "output_tokens": 1}
    yield _event("message_start", {"type": "message_start", "message": start})
    if failure is not None:
        payload = {"type": "error", "error": {"type": failure.type, "message": failure.message}}
        yield _event("error", payload)
        return
    yield _event(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    yield _event("ping", {"type": "ping"})
    text = message["content"][0]["text"]
    for i in range(0, len(text), 40):
        delta = {"type": "text_delta", "text": text[i : i + 40]}
        yield _event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
    yield _event("content_block_stop", {"type": "content_block_stop", "index": 0})
    yield _event(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        },
    )
    yield _event("message_stop", {"type": "message_stop"})
