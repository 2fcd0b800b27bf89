"""Prompt caching as the API does it: a prefix marked with ``cache_control`` is written the first time and
read while it lives (5 minutes or 1 hour, refreshed on each read), but only when it is at least the model's
minimum cacheable length; shorter prefixes are silently not cached."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from ticketflow.testing.fake_anthropic.wire import blocks, count_tokens

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

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


@dataclass
class PromptCache:
    """The cached prefixes (by model and content) and when each expires, on the fake's clock."""

    _expires: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def usage(self, model: str, body: dict[str, Any], now: float, minimum: int) -> dict[str, int]:
        """Input, cache-write and cache-read tokens for this prompt at ``now``, updating the cache; prefixes
        shorter than ``minimum`` tokens are not cached."""
        prompt = blocks(body)
        if body.get("cache_control") and prompt:  # automatic: on the last cacheable block
            prompt[-1] = {**prompt[-1], "cache_control": body["cache_control"]}
        sizes = [count_tokens(b.get("text", "")) for b in prompt]
        total = sum(sizes)
        marks = [i for i, b in enumerate(prompt) if b.get("cache_control")]
        written = read = 0
        with self._lock:
            for i in reversed(marks):
                prefix = sum(sizes[: i + 1])
                if prefix < minimum:
                    continue
                key = _key(model, prompt[: i + 1])
                ttl = TTL_SECONDS.get((prompt[i]["cache_control"] or {}).get("ttl", "5m"), 300.0)
                if self._expires.get(key, -1.0) > now:
                    read = prefix
                    self._expires[key] = now + ttl
                    break
                self._expires[key] = now + ttl
                written = max(written, prefix)
            written = max(0, written - read)
        return {
            "input_tokens": total - written - read,
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
        }

    def clear(self) -> None:
        with self._lock:
            self._expires.clear()


def _key(model: str, prefix: list[dict[str, Any]]) -> str:
    plain = [{k: v for k, v in b.items() if k != "cache_control"} for b in prefix]
    return hashlib.sha256(json.dumps([model, plain], sort_keys=True).encode()).hexdigest()
