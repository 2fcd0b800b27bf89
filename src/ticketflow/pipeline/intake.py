"""Intake: normalise an inbound message and attach the conversation so far."""

from __future__ import annotations

import dataclasses
import re

from mailparser_reply import EmailReplyParser

from ticketflow.domain.message import Ticket
from ticketflow.ports.store import HistorySource

_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def strip_quoted(text: str) -> str:
    """The new part of an email reply: quoted earlier messages and signatures removed."""
    reply = EmailReplyParser(languages=["en", "de", "fr", "es"]).parse_reply(text=text)
    return reply.strip() or text.strip()


def normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\u00a0", " ")
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


class Intake:
    def __init__(self, history: HistorySource | None = None, history_turns: int = 8) -> None:
        self._history = history
        self._turns = history_turns

    def run(self, ticket: Ticket) -> Ticket:
        text = ticket.message.text
        if ticket.message.channel == "email":
            text = strip_quoted(text)
        message = dataclasses.replace(ticket.message, text=normalise(text))
        history = ticket.history
        if not history and self._history is not None and self._turns:
            history = tuple(self._history.history(ticket.conversation_id, ticket.id, self._turns))
        return dataclasses.replace(
            ticket, message=message, history=history[-self._turns :] if self._turns else ()
        )
