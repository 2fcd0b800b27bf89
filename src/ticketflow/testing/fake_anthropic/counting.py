"""``POST /v1/messages/count_tokens``: the prompt's input tokens, with the checks of a message request
(``max_tokens`` aside)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ticketflow.testing.fake_anthropic.errors import ApiError, refused
from ticketflow.testing.fake_anthropic.params import check_params
from ticketflow.testing.fake_anthropic.wire import blocks, count_tokens

if TYPE_CHECKING:
    from ticketflow.testing.fake_anthropic.app import FakeAnthropic


async def count_message_tokens(fake: FakeAnthropic, request: Request) -> Response:
    """The prompt's input tokens by the fake's tokenizer, after the checks a message request would get."""
    try:
        body, record = await fake.admit(request)
        check_params(body, fake.min_cacheable, needs_max_tokens=False)
    except ApiError as exc:
        return refused(exc)
    total = sum(count_tokens(b.get("text", "")) for b in blocks(body))
    return JSONResponse({"input_tokens": total}, headers={"request-id": record.request_id})
