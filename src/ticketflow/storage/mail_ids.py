"""``SqlMailThreads``: the ``MailThreads`` port on ``mail_ids``: every Message-ID of a mail conversation.

The email channel asks :meth:`SqlMailThreads.conversation_of` for each id in a new mail's ``In-Reply-To`` and
``References`` (its ``known``), so a customer's answer to our reply, or to their own earlier mail, joins the
conversation. Inbound ids are written by the mail intake before the message is accepted; ours by the
sender with the delivery's receipt.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ticketflow.storage.tables import audit_log, mail_ids
from ticketflow.storage.times import utcnow


def remember(
    conn: sa.Connection, message_id: str, conversation_ref: str, chain: tuple[str, ...], *, direction: str
) -> None:
    """Record the id unless it is known (the first conversation to claim an id keeps it)."""
    values = {
        "message_id": message_id,
        "conversation_ref": conversation_ref,
        "direction": direction,
        "chain": list(chain),
        "at": utcnow(),
    }
    conn.execute(insert_ignoring_duplicates(conn, mail_ids, values))


def insert_ignoring_duplicates(conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL: a row another process wrote first
    wins, and the transaction goes on (a failed plain insert would abort it on PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing()
    return sqlite.insert(table).values(**values).on_conflict_do_nothing()


class SqlMailThreads:
    """Implements ``MailThreads``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def remember(
        self, message_id: str, conversation_ref: str, chain: tuple[str, ...], *, direction: str
    ) -> None:
        with self.engine.begin() as conn:
            remember(conn, message_id, conversation_ref, chain, direction=direction)

    def conversation_of(self, message_id: str) -> str | None:
        query = sa.select(mail_ids.c.conversation_ref).where(mail_ids.c.message_id == message_id)
        with self.engine.connect() as conn:
            ref: str | None = conn.execute(query).scalar()
        return ref

    def chain_of(self, message_id: str) -> tuple[str, ...] | None:
        query = sa.select(mail_ids.c.chain).where(mail_ids.c.message_id == message_id)
        with self.engine.connect() as conn:
            chain = conn.execute(query).scalar()
        return None if chain is None else tuple(str(i) for i in chain)

    def record_ignored(self, external_id: str | None, author: str, reason: str) -> None:
        """Record a mail that gets no answer (an auto-reply, a bounce, our own echo) and why, in the audit
        log (``mail_ignored``, with no ticket)."""
        detail = {"external_id": external_id, "author": author, "reason": reason}
        with self.engine.begin() as conn:
            conn.execute(
                audit_log.insert().values(ticket_id=None, event="mail_ignored", detail=detail, at=utcnow())
            )
