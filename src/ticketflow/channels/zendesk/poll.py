"""The polling fallback: one pass over Zendesk's incremental ticket export, from a stored cursor.

A pass (FACTS-channels §1.6) pages ``GET /api/v2/incremental/tickets/cursor.json`` (``start_time`` the first
time, ``cursor`` after) until ``end_of_stream``, then fetches the comments of each changed ticket. The
export reports *tickets*, not comments, and a ticket reappears whenever it changes, so a comment is new only
inside this pass's window:

- after the previous pass's **watermark** (the latest ``updated_at`` it processed; the first pass starts
  ``poll_start_lookback_s`` back), and
- no later than the ticket's ``updated_at`` *in this export*: a comment added after the export was read
  (Zendesk leaves out the last minute's changes) changes the ticket again, so the next pass reports it.

Comments created exactly at the watermark second are told apart by id (``at_watermark``), so a boundary
second is neither lost nor repeated. The lead runs :func:`poll_once` as a scheduled durable workflow and
stores :meth:`PollState.to_json` between passes; the message external ids are the webhooks' ones, so a
comment seen by both a webhook and a poll dedupes downstream. Zendesk allows 10 export requests a minute:
a pass makes at most ``poll_max_pages`` and resumes from its cursor next time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketflow.channels.zendesk.channel import ZendeskChannel
from ticketflow.channels.zendesk.comment import Comment, external_id
from ticketflow.channels.zendesk.webhook import comment_from_api
from ticketflow.domain.message import InboundMessage
from ticketflow.errors import InputError
from ticketflow.ports.channel import Ignored


@dataclass(frozen=True, slots=True)
class PollState:
    """Where the next pass resumes: the export cursor, the watermark, and the ids at the watermark."""

    after_cursor: str | None
    watermark: datetime
    at_watermark: frozenset[str] = frozenset()

    def to_json(self) -> str:
        return json.dumps(
            {
                "after_cursor": self.after_cursor,
                "watermark": self.watermark.isoformat(),
                "at_watermark": sorted(self.at_watermark),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PollState:
        """A state stored by :meth:`to_json`; a damaged one is an ``InputError`` naming the field."""
        try:
            data = json.loads(text)
            return cls(
                after_cursor=data["after_cursor"],
                watermark=_when(data["watermark"]) or _never(),
                at_watermark=frozenset(str(i) for i in data.get("at_watermark", ())),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                "the stored Zendesk polling state is unreadable",
                errors=[{"where": "poll_state", "problem": f"{type(exc).__name__}: {exc}"}],
            ) from exc


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one pass found, and the state to store for the next."""

    messages: tuple[InboundMessage, ...]
    ignored: tuple[Ignored, ...]
    state: PollState
    end_of_stream: bool
    """False when the pass stopped at ``poll_max_pages``: more is waiting, run the next pass soon."""
    tickets: int = 0


@dataclass
class _Users:
    """The users looked up in one pass, each fetched once."""

    channel: ZendeskChannel
    known: dict[str, dict[str, Any]] = field(default_factory=dict)

    def user(self, user_id: str) -> dict[str, Any]:
        if user_id not in self.known:
            self.known[user_id] = self.channel.client.user(user_id)
        return self.known[user_id]

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        return self.channel.client.ticket(ticket_id)

    def comments(self, ticket_id: str) -> list[dict[str, Any]]:
        return self.channel.client.comments(ticket_id)


def poll_once(channel: ZendeskChannel, state: PollState | None) -> PollResult:
    """One pass from ``state`` (None: the first pass, looking back ``poll_start_lookback_s``)."""
    settings = channel.settings
    if state is None:
        start = channel.now() - timedelta(seconds=settings.poll_start_lookback_s)
        state = PollState(after_cursor=None, watermark=start.replace(microsecond=0))
    changed: dict[str, dict[str, Any]] = {}
    cursor = state.after_cursor
    end = False
    for _ in range(settings.poll_max_pages):
        if cursor:
            page = channel.client.incremental_tickets(cursor=cursor)
        else:
            page = channel.client.incremental_tickets(start_time=int(state.watermark.timestamp()))
        for ticket in page.get("tickets") or []:
            if isinstance(ticket, dict) and ticket.get("id") is not None:
                changed[str(ticket["id"])] = ticket  # a later page holds the later state
        cursor = page.get("after_cursor") or cursor
        if page.get("end_of_stream"):
            end = True
            break
    users = _Users(channel)
    fresh: list[tuple[Comment, datetime | None]] = []
    watermark = state.watermark
    for ticket_id, ticket in changed.items():
        upper = _when(ticket.get("updated_at"))
        if upper is not None and upper > watermark:
            watermark = upper
        for raw in users.comments(ticket_id):
            created = _when(raw.get("created_at"))
            if not _in_window(created, state, upper, external_id(ticket_id, str(raw.get("id")))):
                continue
            comment = comment_from_api(ticket_id, raw, users, subject=_str(ticket.get("subject")))
            fresh.append((comment, created))
    at_watermark = {c.external_id for c, created in fresh if created == watermark}
    if watermark == state.watermark:
        at_watermark |= state.at_watermark
    parsed = channel.judge([c for c, _ in fresh])
    return PollResult(
        messages=parsed.messages,
        ignored=parsed.ignored,
        state=PollState(cursor, watermark, frozenset(at_watermark)),
        end_of_stream=end,
        tickets=len(changed),
    )


def _in_window(created: datetime | None, state: PollState, upper: datetime | None, key: str) -> bool:
    """New in this pass: after the watermark (or at it, unseen) and no later than the exported ticket."""
    if created is None:
        return key not in state.at_watermark
    if created < state.watermark or (created == state.watermark and key in state.at_watermark):
        return False
    return upper is None or created <= upper


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _never() -> datetime:
    raise ValueError("watermark is empty")


def _str(value: Any) -> str | None:
    return str(value) if value else None
