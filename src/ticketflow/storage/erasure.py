"""Removing personal data from the application database: one person's (``ticketflow erase``) or every
ticket's past its retention period (``[retention] messages``).

What a ticket holds of a person is overwritten or nulled in place: its text, subject, draft, checks and
decision, the conversation's turns, the outbox and the delivery bodies, the review's handoff, the mail
thread's Message-IDs, and the customer's email and id on the ticket and its conversation. The ledger holds
no personal data and is not touched. An erasure also nulls the ``detail`` of the person's audit entries:
the one UPDATE the audit table's trigger allows, and one its hash chain survives (it covers the detail's
digest, ``storage.chain``). Each run appends an audit entry saying what it did, without who it was for.

On SQLite, freed pages and the write-ahead log still hold the old bytes until :func:`compact` rewrites the
file (``VACUUM``) and truncates the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ticketflow.storage import audit
from ticketflow.storage.tables import (
    audit_log,
    conversations,
    deliveries,
    feedback,
    grades,
    mail_ids,
    messages,
    outbox,
    review_actions,
    reviews,
    tickets,
)

ERASED = "[erased]"
"""What an erased text reads."""
_DONE = "done"


@dataclass(frozen=True, slots=True)
class Redacted:
    """What one run redacted: tickets (with their DBOS workflow ids), conversations, audit details."""

    ticket_ids: tuple[str, ...]
    workflow_ids: tuple[str, ...]
    conversations: int
    audit_details: int


def _pseudonym(value: str) -> str:
    """A unique key's stand-in once its value is erased (the key stays unique, the value is gone)."""
    return f"erased:{hashlib.sha256(value.encode('utf-8')).hexdigest()[:40]}"


def customer_tickets(conn: sa.Connection, who: str) -> tuple[list[str], list[str]]:
    """The tickets and conversations of the customer with email (any case) or customer id ``who``."""
    email = who.strip().lower()
    t, c = tickets.c, conversations.c
    conv_ids = {
        r[0]
        for r in conn.execute(
            sa.select(c.id).where(sa.or_(sa.func.lower(c.customer_email) == email, c.customer_id == who))
        )
    }
    found = conn.execute(
        sa.select(t.id, t.conversation_id).where(
            sa.or_(
                sa.func.lower(t.customer_email) == email,
                t.customer_id == who,
                t.conversation_id.in_(conv_ids),
            )
        )
    ).all()
    conv_ids |= {r[1] for r in found}
    more = conn.execute(sa.select(t.id).where(t.conversation_id.in_(conv_ids))).scalars()
    return sorted({r[0] for r in found} | set(more)), sorted(conv_ids)


def expired_tickets(conn: sa.Connection, before: datetime, limit: int = 500) -> list[str]:
    """Finished tickets last changed before ``before`` whose text is not erased yet, oldest first."""
    t = tickets.c
    query = (
        sa.select(t.id)
        .where(t.status == _DONE, t.updated_at < before, t.text != ERASED)
        .order_by(t.updated_at, t.id)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def expire_turns(conn: sa.Connection, before: datetime) -> int:
    """Redact every conversation turn written before ``before`` (the agent's replies carry no ticket id, so
    the tickets' redaction does not reach them); the number redacted."""
    m = messages.c
    done = conn.execute(messages.update().where(m.at < before, m.text != ERASED).values(text=ERASED))
    return int(done.rowcount or 0)


def redact(
    conn: sa.Connection,
    ticket_ids: Sequence[str],
    conversation_ids: Sequence[str],
    *,
    erase_audit: bool,
    why: str,
) -> Redacted:
    """Overwrite the personal data of ``ticket_ids`` and of ``conversation_ids`` (whole threads: every turn
    and the customer's identity), then append the ``erased`` audit entry (no personal data in it)."""
    workflow_ids = list(
        conn.execute(sa.select(tickets.c.workflow_id).where(tickets.c.id.in_(ticket_ids))).scalars()
    )
    _redact_tickets(conn, ticket_ids)
    _redact_conversations(conn, conversation_ids)
    audit_ids: list[int] = []
    if erase_audit and ticket_ids:
        audit_ids = list(
            conn.execute(
                sa.select(audit_log.c.id).where(
                    audit_log.c.ticket_id.in_(ticket_ids), audit_log.c.detail.is_not(None)
                )
            ).scalars()
        )
        # the one UPDATE the trigger allows: detail to SQL NULL, nothing else changed
        conn.execute(audit_log.update().where(audit_log.c.id.in_(audit_ids)).values(detail=sa.null()))
    detail: dict[str, Any] = {
        "why": why,
        "tickets": list(ticket_ids),
        "conversations": len(conversation_ids),
        "audit_details_erased": audit_ids,
    }
    audit.append(conn, None, "erased", detail)
    return Redacted(tuple(ticket_ids), tuple(workflow_ids), len(conversation_ids), len(audit_ids))


def _redact_tickets(conn: sa.Connection, ticket_ids: Sequence[str]) -> None:
    if not ticket_ids:
        return
    t = tickets.c
    conn.execute(
        tickets.update()
        .where(t.id.in_(ticket_ids))
        .values(
            customer_email=None,
            customer_id=None,
            subject=None,
            text=ERASED,
            draft=None,
            decision=sa.null(),
            checks=sa.null(),
            outcome_reason=None,
        )
    )
    rows = conn.execute(sa.select(t.id, t.external_id, t.workflow_id).where(t.id.in_(ticket_ids))).all()
    sent = conn.execute(
        sa.select(deliveries.c.message_id).where(
            deliveries.c.ticket_id.in_(ticket_ids), deliveries.c.message_id.is_not(None)
        )
    ).scalars()
    ids = [r[1] for r in rows] + list(sent)
    conn.execute(
        mail_ids.delete().where(sa.or_(mail_ids.c.message_id.in_(ids), mail_ids.c.conversation_ref.in_(ids)))
    )
    for ticket_id, external_id, workflow_id in rows:
        if not external_id.startswith("erased:"):  # both keys name the message, e.g. by its Message-ID
            keys = {"external_id": _pseudonym(external_id), "workflow_id": _pseudonym(workflow_id)}
            conn.execute(tickets.update().where(t.id == ticket_id).values(**keys))
    conn.execute(messages.update().where(messages.c.ticket_id.in_(ticket_ids)).values(text=ERASED))
    conn.execute(outbox.update().where(outbox.c.ticket_id.in_(ticket_ids)).values(body=ERASED))
    conn.execute(
        deliveries.update().where(deliveries.c.ticket_id.in_(ticket_ids)).values(body=None, error=None)
    )
    conn.execute(
        reviews.update()
        .where(reviews.c.ticket_id.in_(ticket_ids))
        .values(handoff={"erased": True}, reason=ERASED)
    )
    # what people wrote about the ticket: an agent's reply and its diff, a rejection's reason, the
    # customer's rating comment, a grader's note (the actions and ratings themselves stay, for the figures)
    conn.execute(
        review_actions.update()
        .where(review_actions.c.ticket_id.in_(ticket_ids))
        .values(body=None, diff=None, reason=None)
    )
    conn.execute(feedback.update().where(feedback.c.ticket_id.in_(ticket_ids)).values(comment=None))
    conn.execute(grades.update().where(grades.c.ticket_id.in_(ticket_ids)).values(note=None))


def _redact_conversations(conn: sa.Connection, conversation_ids: Sequence[str]) -> None:
    if not conversation_ids:
        return
    c = conversations.c
    conn.execute(
        messages.update().where(messages.c.conversation_id.in_(conversation_ids)).values(text=ERASED)
    )
    refs = conn.execute(sa.select(c.id, c.external_ref).where(c.id.in_(conversation_ids))).all()
    for conversation_id, ref in refs:
        conn.execute(mail_ids.delete().where(mail_ids.c.conversation_ref == ref))
        values: dict[str, Any] = {"customer_email": None, "customer_id": None}
        if not ref.startswith("erased:"):
            values["external_ref"] = _pseudonym(ref)
        conn.execute(conversations.update().where(c.id == conversation_id).values(**values))


def compact(engine: sa.Engine) -> None:
    """Rewrite a SQLite file so no erased byte survives in a free page or the write-ahead log (no-op on
    PostgreSQL, whose ``VACUUM`` frees dead rows for reuse but does not scrub files: see docs/audit.md)."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()
