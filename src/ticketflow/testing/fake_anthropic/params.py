"""What the API refuses before it answers: no or unknown model, missing fields, sampling parameters on a
model that rejects them, more than four cache breakpoints."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from ticketflow.testing.fake_anthropic.errors import ApiError
from ticketflow.testing.fake_anthropic.wire import blocks

REJECTS_SAMPLING = frozenset({"claude-sonnet-5-5", "claude-sonnet-5"})
"""Models that answer 400 to ``temperature``, ``top_p`` or ``top_k``."""

MAX_BREAKPOINTS = 4


def check_params(body: dict[str, Any], models: Container[str], *, needs_max_tokens: bool = True) -> str:
    """The request's model, once the body passes the API's checks; raise ``ApiError`` as the API would."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "invalid_request_error", "model: Field required")
    if model not in models:
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
    breakpoints = sum(1 for b in blocks(body) if b.get("cache_control"))
    if breakpoints > MAX_BREAKPOINTS:
        raise ApiError(
            400,
            "invalid_request_error",
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {breakpoints}.",
        )
    return model
