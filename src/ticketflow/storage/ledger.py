"""``SqlLedger``: the ``Ledger`` port on the ``ledger`` and ``fetches`` tables (append-only).

Lines are written with the ticket's result, in its transaction, by :func:`record`; ``(ticket_id, seq)`` is
unique in both tables, so a result recorded twice cannot add lines twice. After the result's own calls come
the attempts the journal holds and the result does not (a process died with them in flight): their settled
usage, or an ``in_doubt`` line at the journal's estimate. Lines are only ever inserted (triggers refuse
anything else), each linked into the ledger's hash chain (``storage.chain``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from ticketflow.domain.draft import Usage
from ticketflow.domain.ids import TicketId
from ticketflow.domain.result import TicketResult
from ticketflow.domain.views import FetchLine, LedgerLine
from ticketflow.storage import chain
from ticketflow.storage.attempts import in_flight_usd
from ticketflow.storage.tables import fetches, ledger
from ticketflow.storage.times import aware, utcnow


def record(conn: sa.Connection, result: TicketResult, at: datetime, reconciled: Sequence[Usage] = ()) -> None:
    """Write the result's model calls, then the ``reconciled`` attempts it lost, and its customer lookup as
    the ticket's lines."""
    for seq, usage in enumerate((*result.model_calls, *reconciled), start=1):
        append(conn, result.ticket.id, seq, usage, at)
    fetch = result.context.customer_fetch if result.context is not None else None
    if fetch is not None:
        conn.execute(
            fetches.insert().values(
                ticket_id=result.ticket.id,
                seq=1,
                source=fetch.source,
                latency_ms=fetch.ms,
                found=fetch.found,
                stale=list(fetch.stale),
                error=fetch.error,
                at=at,
            )
        )


def append(conn: sa.Connection, ticket_id: str, seq: int, usage: Usage, at: datetime) -> None:
    """Write one model call as line ``seq`` of ``ticket_id`` (a ticket's id, or a replay arm's own id),
    linked into the hash chain."""
    values = {
        "ticket_id": ticket_id,
        "seq": seq,
        "purpose": usage.purpose,
        "model": usage.model,
        "projected": usage.projected,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cost_usd": usage.cost_usd,
        "latency_ms": usage.latency_ms,
        "attempt": usage.attempt,
        "request_id": usage.request_id,
        "stop_reason": usage.stop_reason,
        "at": at,
        "attempt_id": usage.attempt_id,
        "in_doubt": usage.in_doubt,
    }
    values.update(chain.link(conn, chain.LEDGER, chain.ledger_fields(values)))
    conn.execute(ledger.insert().values(**values))


class SqlLedger:
    """Implements ``Ledger``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def lines(self, ticket_id: TicketId) -> tuple[LedgerLine, ...]:
        c = ledger.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(ledger).where(c.ticket_id == ticket_id).order_by(c.seq)).all()
        return tuple(
            LedgerLine(
                ticket_id=TicketId(r.ticket_id),
                seq=r.seq,
                purpose=r.purpose,
                model=r.model,
                projected=r.projected,
                input_tokens=r.input_tokens,
                output_tokens=r.output_tokens,
                cache_creation_input_tokens=r.cache_creation_input_tokens,
                cache_read_input_tokens=r.cache_read_input_tokens,
                cost_usd=r.cost_usd,
                latency_ms=r.latency_ms,
                attempt=r.attempt,
                request_id=r.request_id,
                stop_reason=r.stop_reason,
                at=aware(r.at),
                attempt_id=r.attempt_id,
                in_doubt=r.in_doubt,
            )
            for r in rows
        )

    def fetches(self, ticket_id: TicketId) -> tuple[FetchLine, ...]:
        c = fetches.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(fetches).where(c.ticket_id == ticket_id).order_by(c.seq)).all()
        return tuple(
            FetchLine(
                ticket_id=TicketId(r.ticket_id),
                seq=r.seq,
                source=r.source,
                latency_ms=r.latency_ms,
                found=r.found,
                stale=tuple(r.stale),
                error=r.error,
                at=aware(r.at),
            )
            for r in rows
        )

    def spent_today(self) -> float:
        """Dollars charged (not projected) by the ledger rows written since midnight UTC, plus the attempts
        journaled since then and not yet ledgered (in flight in any process, or lost with one), read in one
        statement so an attempt moving from the journal to the ledger is counted once."""
        midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        ledgered = (
            sa.select(sa.func.coalesce(sa.func.sum(ledger.c.cost_usd), 0.0))
            .where(ledger.c.at >= midnight, ledger.c.projected.is_(False))
            .scalar_subquery()
        )
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(ledgered + in_flight_usd(midnight))).scalar_one()
        return float(total)
