"""The polling fallback: one pass over tickets updated since a stored cursor, for messages webhooks missed.

``GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc&per_page=…&page=N`` lists tickets
least recently updated first; a page with fewer than ``per_page`` rows is the last. Freshdesk serves at most
300 pages (page 301 answers 400), so a pass that fills page 300 moves ``updated_since`` to that page's last
``updated_at`` and starts again from page 1, a new *window*. ``updated_since`` is inclusive, so the tickets
updated at the boundary second come back: the cursor remembers them (``ticket@updated_at``) and they are
skipped, which is why a ticket version is read exactly once across passes.

Each new ticket version is read as a webhook is (``thread.py``): its customer messages after the last reply.
A message can come back when its ticket changes again before anyone answers; intake dedupes by external id
(``msg:freshdesk:{external_id}``), as it does for redelivered webhooks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ticketflow.channels.freshdesk.client import FreshdeskClient, parse_timestamp, timestamp
from ticketflow.domain.message import InboundMessage
from ticketflow.errors import InputError

log = logging.getLogger(__name__)

MAX_PAGES = 300
"""Freshdesk's page cap on the ticket list: page 301 is refused."""


@dataclass(frozen=True, slots=True)
class PollCursor:
    """Where the last pass stopped: tickets updated at or after ``updated_since``, less those already seen.

    ``seen`` holds ``"{ticket_id}@{updated_at}"`` for the ticket versions at the boundary second.
    Store :meth:`dump` and :meth:`load` it back.
    """

    updated_since: datetime
    seen: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.updated_since.utcoffset() is None:
            raise ValueError("a poll cursor's updated_since must be timezone-aware (UTC)")

    def dump(self) -> dict[str, Any]:
        """A JSON-ready form of the cursor."""
        return {"updated_since": timestamp(self.updated_since), "seen": sorted(self.seen)}

    @classmethod
    def load(cls, data: dict[str, Any]) -> PollCursor:
        """The cursor :meth:`dump` wrote; ``InputError`` when it is not one."""
        since = parse_timestamp(data.get("updated_since"))
        seen = data.get("seen", [])
        if since is None or not isinstance(seen, list) or not all(isinstance(s, str) for s in seen):
            problem = "updated_since (ISO-8601) and seen (a list of strings) are required"
            raise InputError(
                "the Freshdesk poll cursor is unreadable", errors=[{"where": "cursor", "problem": problem}]
            )
        return cls(since, frozenset(seen))


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one pass found, and the cursor the next pass starts from."""

    messages: tuple[InboundMessage, ...]
    cursor: PollCursor
    tickets_read: int = 0
    complete: bool = True
    """False when the pass stopped at ``max_windows`` (or could not move past a crowded second): run again."""


ReadTicket = Callable[[dict[str, Any]], tuple[InboundMessage, ...]]
"""Reads one listed ticket's thread into its customer messages (the channel supplies it)."""


def poll_once(
    client: FreshdeskClient,
    cursor: PollCursor,
    read: ReadTicket,
    *,
    per_page: int = 100,
    max_windows: int = 20,
) -> PollResult:
    """One pass from ``cursor``: the new customer messages of tickets updated since, and the next cursor."""
    boundary, seen = cursor.updated_since, set(cursor.seen)
    since = cursor.updated_since
    found: dict[str, InboundMessage] = {}
    read_count = 0
    for _window in range(max_windows):
        last_page: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            rows = client.updated_since(since, page, per_page)
            for row in rows:
                updated = parse_timestamp(row.get("updated_at"))
                key = f"{row.get('id')}@{row.get('updated_at')}"
                if updated is None or key in seen:
                    continue
                read_count += 1
                for message in read(row):
                    found.setdefault(message.external_id, message)
                if updated > boundary:
                    boundary, seen = updated, set()
                if updated == boundary:
                    seen.add(key)
            if len(rows) < per_page:
                return PollResult(tuple(found.values()), PollCursor(boundary, frozenset(seen)), read_count)
            last_page = rows
        moved = parse_timestamp(last_page[-1].get("updated_at"))
        if moved is None or moved <= since:
            log.error(
                "freshdesk: more than %d tickets share updated_at %s; polling cannot move past it",
                MAX_PAGES * per_page,
                timestamp(since),
            )
            break
        since = moved  # past the page cap: a new window from the last row's second (its rows are in seen)
    return PollResult(
        tuple(found.values()), PollCursor(boundary, frozenset(seen)), read_count, complete=False
    )
