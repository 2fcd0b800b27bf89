"""Intake: normalise an inbound message and attach the conversation so far."""

from __future__ import annotations

import dataclasses
import re

from mailparser_reply import EmailReplyParser

from ticketflow.domain.message import Ticket, Turn
from ticketflow.ports.store import HistorySource

_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def strip_quoted(text: str) -> str:
    """The new part of an email reply: quoted earlier messages and signatures removed."""
    reply = EmailReplyParser(languages=["en", "de", "fr", "es"]).parse_reply(text=text)
    return reply.strip() or text.strip()


def normalise(text: str) -> str:
    """``text`` with plain line ends and spaces, at most one blank line in a row, and no outer whitespace."""
    text = text.replace("\r\n", "\n").replace("\u00a0", " ")
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


SUMMARY_TURNS = 40
"""How far back a summary of older turns reaches."""


def summarise_turns(turns: tuple[Turn, ...], max_chars: int = 400) -> str | None:
    """An extractive summary of older turns: when they ran, and the first sentence of each customer message
    and of our last reply. No model call: it has to be cheap and can never invent anything."""
    if not turns:
        return None
    times = [t.at for t in turns if t.at is not None]
    span = f" from {min(times):%Y-%m-%d %H:%M} to {max(times):%Y-%m-%d %H:%M}" if times else ""
    asked = [_first_sentence(t.text) for t in turns if t.role == "customer"]
    replies = [t for t in turns if t.role == "agent"]
    parts = [f"{len(turns)} earlier messages{span}."]
    if asked:
        parts.append("Customer wrote: " + " | ".join(asked))
    if replies:
        parts.append("Our last reply then: " + _first_sentence(replies[-1].text))
    summary = " ".join(parts)
    return summary if len(summary) <= max_chars else summary[: max_chars - 1].rstrip() + "…"


def _first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s+|\n+", text.strip(), maxsplit=1)[0]
    return sentence[:120]


class Intake:
    """The intake stage: clean the message and attach the conversation's last ``history_turns`` turns.

    An email reply loses its quoted earlier messages and signature. A ticket that already carries history
    keeps it; with ``summarise_older`` the turns before the last ``history_turns`` are summarised (no model
    call) into ``Ticket.earlier``.
    """

    def __init__(
        self, history: HistorySource | None = None, history_turns: int = 8, *, summarise_older: bool = False
    ) -> None:
        self._history = history
        self._turns = history_turns
        self._summarise = summarise_older

    def run(self, ticket: Ticket) -> Ticket:
        text = ticket.message.text
        if ticket.message.channel == "email":
            text = strip_quoted(text)
        message = dataclasses.replace(ticket.message, text=normalise(text))
        history = ticket.history
        if not history and self._history is not None and self._turns:
            reach = max(SUMMARY_TURNS, self._turns) if self._summarise else self._turns
            history = tuple(self._history.history(ticket.conversation_id, ticket.id, reach))
        recent = history[-self._turns :] if self._turns else ()
        older = history[: len(history) - len(recent)]
        earlier = summarise_turns(older) if self._summarise else None
        return dataclasses.replace(ticket, message=message, history=recent, earlier=earlier)
