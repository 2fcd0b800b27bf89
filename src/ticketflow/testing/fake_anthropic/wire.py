"""Reading a Messages API request body: the prompt as cacheable blocks, the output schema, the last user
turn; and what every endpoint shares: the fake's tokenizer, its ids and the record of each request."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    """A fresh id such as ``req_fake000000000001``, numbered across every kind so none repeats."""
    return f"{prefix}{next(_ids):012d}"


def count_tokens(text: str) -> int:
    """The fake's tokenizer: one token per 4 characters, rounded up."""
    return math.ceil(len(text) / 4) if text else 0


def iso(moment: datetime | None) -> str | None:
    """``moment`` as the API writes times (ISO-8601, ``Z`` for UTC); None stays None."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@dataclass
class Recorded:
    """One request as the fake saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    request_id: str
    status: int = 200


def schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of ``output_config.format``, when the request asks for structured output."""
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


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the last user message, its text blocks joined; empty when there is none."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The prompt as an ordered list of cacheable blocks: tools, then system, then message content."""
    found: list[dict[str, Any]] = [
        {"text": json.dumps({k: v for k, v in t.items() if k != "cache_control"}, sort_keys=True), **t}
        for t in body.get("tools") or []
    ]
    system = body.get("system")
    if isinstance(system, str):
        found.append({"type": "text", "text": system})
    elif isinstance(system, list):
        found.extend(dict(b) for b in system)
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            found.append({"type": "text", "text": content, "role": message.get("role")})
        else:
            found.extend({**b, "role": message.get("role")} for b in content or [])
    return found
