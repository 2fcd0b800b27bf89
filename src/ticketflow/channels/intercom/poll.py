"""The polling fallback: one pass over conversations updated since a stored cursor → new customer messages.

``POST /conversations/search`` with ``updated_at > since`` means *greater or equal* (FACTS-channels §2.6), so
conversations at the boundary come back on the next pass; each pass also looks ``overlap_s`` further back, for
a search index that lags. Both are deduplicated by the message ids the cursor remembers from that window, so
a message is returned by exactly one pass. The search's sort order is undocumented, so a pass that stops at
``max_pages`` does not advance ``since``: it keeps the page token and the next pass resumes there.

The cursor is a value; :meth:`PollCursor.dump` / :meth:`PollCursor.load` turn it into the string to store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ticketflow.channels.intercom.client import IntercomClient
from ticketflow.channels.intercom.conversation import Conversation, Reader, entries, validate
from ticketflow.domain.message import InboundMessage
from ticketflow.errors import InputError


@dataclass(frozen=True, slots=True)
class PollCursor:
    """Where polling stands: conversations updated at ``since`` or later are still to be read.

    ``seen`` holds the messages already returned inside the overlap window (external id → ``created_at``);
    while a scan is unfinished, ``starting_after`` is its next page and ``high_water`` the newest
    ``updated_at`` it has met.
    """

    since: int
    seen: tuple[tuple[str, int], ...] = ()
    starting_after: str | None = None
    high_water: int = 0
    scan_from: int | None = field(default=None)
    """The query's lower bound while a scan is unfinished (a page token is valid for that query only)."""

    def dump(self) -> str:
        return json.dumps(
            {
                "since": self.since,
                "seen": [list(s) for s in self.seen],
                "starting_after": self.starting_after,
                "high_water": self.high_water,
                "scan_from": self.scan_from,
            },
            separators=(",", ":"),
        )

    @classmethod
    def load(cls, stored: str) -> PollCursor:
        """The cursor :meth:`dump` wrote; an ``InputError`` naming the problem when it is not one."""
        try:
            data = json.loads(stored)
            return cls(
                since=int(data["since"]),
                seen=tuple((str(i), int(t)) for i, t in data.get("seen", [])),
                starting_after=data.get("starting_after"),
                high_water=int(data.get("high_water", 0)),
                scan_from=None if data.get("scan_from") is None else int(data["scan_from"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            problem = {"where": "cursor", "problem": f"not an Intercom poll cursor: {exc}"}
            raise InputError("the stored Intercom poll cursor is unreadable", errors=[problem]) from exc


@dataclass(frozen=True, slots=True)
class PollResult:
    """One pass's new customer messages (oldest first) and the cursor to store for the next pass."""

    messages: tuple[InboundMessage, ...]
    cursor: PollCursor


def poll_once(
    client: IntercomClient,
    reader: Reader,
    cursor: PollCursor,
    *,
    per_page: int = 150,
    max_pages: int = 20,
    overlap_s: int = 60,
) -> PollResult:
    """Read up to ``max_pages`` of search results from ``cursor``; return what is new and where to go on."""
    scan_from = cursor.scan_from if cursor.scan_from is not None else max(0, cursor.since - overlap_s)
    seen = dict(cursor.seen)
    high_water, token = cursor.high_water, cursor.starting_after
    found: list[InboundMessage] = []
    created: dict[str, int] = {}
    for _ in range(max_pages):
        page = client.search_updated(scan_from, per_page, token)
        for item in page.get("conversations") or []:
            conversation = _conversation(client, item)
            high_water = max(high_water, conversation.updated_at)
            fresh = [
                e for e in entries(conversation) if e.created_at >= scan_from and e.external_id not in seen
            ]
            messages, _ignored = reader.read(conversation, fresh)
            for entry in fresh:
                seen[entry.external_id] = entry.created_at  # ignored ones too: no need to classify them again
                created[entry.external_id] = entry.created_at
            found.extend(messages)
        token = ((page.get("pages") or {}).get("next") or {}).get("starting_after")
        if not token:
            break
    found.sort(key=lambda m: created[m.external_id])
    if token:  # unfinished: same query next time, from the next page
        keep = tuple(sorted(seen.items()))
        return PollResult(tuple(found), PollCursor(cursor.since, keep, token, high_water, scan_from))
    since = max(cursor.since, high_water)
    window = since - overlap_s
    keep = tuple(sorted((i, t) for i, t in seen.items() if t >= window))
    return PollResult(tuple(found), PollCursor(since, keep))


def _conversation(client: IntercomClient, item: Any) -> Conversation:
    """A search result as a Conversation with its parts (fetched when the result lists none)."""
    if isinstance(item, dict) and "conversation_parts" not in item and item.get("id") is not None:
        item = client.conversation(str(item["id"]))
    return validate(Conversation, item, "search.conversations", "an Intercom search result is invalid")
