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

One module per concern: ``app`` (routes, auth, the request record, scripting), ``messages`` (plain and
streaming), ``counting`` (count_tokens), ``batches``, ``errors``, ``responder``, ``cache`` (prompt-cache
simulation), ``params`` (what the API refuses) and ``wire`` (reading request bodies).
"""

from ticketflow.testing.fake_anthropic.app import FakeAnthropic
from ticketflow.testing.fake_anthropic.cache import MIN_CACHEABLE_TOKENS, TTL_SECONDS
from ticketflow.testing.fake_anthropic.errors import ApiError, ScriptedError
from ticketflow.testing.fake_anthropic.params import MAX_BREAKPOINTS, REJECTS_SAMPLING
from ticketflow.testing.fake_anthropic.responder import (
    RESPONDERS,
    Reply,
    Responder,
    default_responder,
    sample_for_schema,
    support_responder,
)
from ticketflow.testing.fake_anthropic.wire import Recorded, count_tokens

__all__ = [
    "MAX_BREAKPOINTS",
    "MIN_CACHEABLE_TOKENS",
    "REJECTS_SAMPLING",
    "RESPONDERS",
    "TTL_SECONDS",
    "ApiError",
    "FakeAnthropic",
    "Recorded",
    "Reply",
    "Responder",
    "ScriptedError",
    "count_tokens",
    "default_responder",
    "sample_for_schema",
    "support_responder",
]
