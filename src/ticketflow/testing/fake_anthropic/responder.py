"""What the fake answers: a responder decides a reply's content from the request body.

:func:`default_responder` sends a schema-valid sample (or a fixed text); :func:`support_responder` plays a
plausible support agent for ticketflow's reply schema. Set ``FakeAnthropic.responder`` to any callable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ticketflow.testing.fake_anthropic.wire import last_user_text, schema_of


@dataclass(frozen=True, slots=True)
class Reply:
    """What a responder returns: text (or a JSON value, for structured output) and how the turn ended."""

    text: str | None = None
    value: Any = None
    stop_reason: str = "end_turn"
    output_tokens: int | None = None


Responder = Callable[[dict[str, Any]], "Reply | str | dict[str, Any]"]
"""Decides the content of a reply from the request body; a dict is sent as JSON text."""


def as_reply(produced: Reply | str | dict[str, Any]) -> Reply:
    """A responder's answer as a :class:`Reply` (a string is its text, a dict its JSON value)."""
    if isinstance(produced, str):
        return Reply(text=produced)
    if isinstance(produced, dict):
        return Reply(value=produced)
    return produced


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
    schema = schema_of(body)
    if schema is not None:
        return dict(sample_for_schema(schema)) if schema.get("type") == "object" else Reply(value=None)
    return Reply(text="Hello from the fake Anthropic API.")


_SOURCE = re.compile(r"^\[([^\]]+)\]")


def support_responder(body: dict[str, Any]) -> Reply | str | dict[str, Any]:
    """A plausible support agent for ticketflow's reply schema: it answers with the first two sentences of
    the first KNOWLEDGE passage of the prompt and cites it, and escalates (``no_answer``) without one."""
    prompt = last_user_text(body)
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
