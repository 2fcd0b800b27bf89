"""The ticket-eval record format (one JSON object per line), parsed with errors that name the line.

Used for a workspace's ``examples.jsonl`` and for evaluation files alike; see docs/workspace.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from ticketflow.domain.message import Role, Turn


class RecordError(ValueError):
    """A record that cannot be used; the message names the source and line."""


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A document given with a record (``context.documents``), standing in for retrieval when its draft is
    validated.
    """

    id: str
    text: str


@dataclass(frozen=True, slots=True)
class EvalRecord:
    """One ticket-eval record: the conversation, and the labels the metrics score it against.

    A record may also carry ``documents`` and a ready ``draft``, which is then validated instead of generated.
    """

    id: str
    channel: str
    messages: tuple[Turn, ...]
    labels: Mapping[str, Any] = field(default_factory=dict)
    documents: tuple[DocumentRef, ...] = field(default=())
    draft: str | None = None
    draft_action: str = "reply"
    """With ``draft``: the action the drafter chose, ``reply`` or ``escalate``."""
    customer_id: str | None = None
    customer_email: str | None = None

    @property
    def last_customer_index(self) -> int:
        """Where the last customer turn is in ``messages``; the last turn when no customer wrote."""
        for i in range(len(self.messages) - 1, -1, -1):
            if self.messages[i].role == "customer":
                return i
        return len(self.messages) - 1

    @property
    def text(self) -> str:
        """The message to handle: the last customer turn."""
        return self.messages[self.last_customer_index].text

    @property
    def history(self) -> tuple[Turn, ...]:
        """The turns before the message to handle, as intake would attach them."""
        return self.messages[: self.last_customer_index]


def _parse_time(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{where}: 'at' must be an ISO-8601 string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordError(f"{where}: 'at' is not an ISO-8601 time: {value!r}") from exc


def parse_record(obj: object, where: str) -> EvalRecord:
    """Build one record from decoded JSON, or raise ``RecordError`` naming ``where`` and the field."""
    if not isinstance(obj, dict):
        raise RecordError(f"{where}: a record must be a JSON object")
    raw = cast(dict[str, Any], obj)
    messages = raw.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RecordError(f"{where}: 'messages' must be a non-empty list")
    turns: list[Turn] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("text"), str):
            raise RecordError(f"{where}: messages[{i}] needs a 'text' string")
        role = m.get("role", "customer")
        if role not in ("customer", "agent"):
            raise RecordError(f"{where}: messages[{i}].role must be 'customer' or 'agent', not {role!r}")
        turns.append(Turn(cast(Role, role), m["text"], _parse_time(m.get("at"), f"{where}: messages[{i}]")))
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict):
        raise RecordError(f"{where}: 'labels' must be an object")
    docs: list[DocumentRef] = []
    context = raw.get("context") or {}
    for i, d in enumerate(context.get("documents", []) if isinstance(context, dict) else []):
        if not isinstance(d, dict) or not isinstance(d.get("text"), str):
            raise RecordError(f"{where}: context.documents[{i}] needs a 'text' string")
        docs.append(DocumentRef(str(d.get("id", f"doc-{i}")), d["text"]))
    customer = raw.get("customer") or {}
    draft = raw.get("draft")
    return EvalRecord(
        id=str(raw.get("id", where)),
        channel=str(raw.get("channel", "api")),
        messages=tuple(turns),
        labels=labels,
        documents=tuple(docs),
        draft=draft if isinstance(draft, str) else None,
        draft_action="escalate" if raw.get("draft_action") == "escalate" else "reply",
        customer_id=customer.get("id") if isinstance(customer, dict) else None,
        customer_email=customer.get("email") if isinstance(customer, dict) else None,
    )


def parse_lines(lines: Iterable[str], source: str) -> Iterator[EvalRecord]:
    """Parse ticket-eval JSONL; blank lines are skipped, anything else malformed raises with its line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
        yield parse_record(obj, where)
