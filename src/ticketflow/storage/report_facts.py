"""``SqlReportSource``: the ``ReportSource`` read model on ``tickets``, ``ledger``, ``outbox``, ``reviews``.

One query per period: each finished ticket received in it, with its ledger summed per ticket in a subquery
(so a month of tickets is one round trip, not one per ticket).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ticketflow.domain.ids import TicketId
from ticketflow.domain.reports import GradeKind, ReviewItem, TicketFacts
from ticketflow.storage.tables import ledger, outbox, reviews, tickets
from ticketflow.storage.times import aware

_DONE = "done"


def _ledger_totals() -> sa.Subquery:
    c = ledger.c
    projected = sa.case((c.projected.is_(True), c.cost_usd), else_=0.0)
    generation = sa.case((c.purpose == "generation", 1), else_=0)
    return (
        sa.select(
            c.ticket_id,
            sa.func.sum(c.cost_usd).label("cost"),
            sa.func.sum(projected).label("projected"),
            sa.func.sum(c.input_tokens).label("input_tokens"),
            sa.func.sum(c.output_tokens).label("output_tokens"),
            sa.func.sum(c.cache_creation_input_tokens + c.cache_read_input_tokens).label("cached"),
            sa.func.count().label("calls"),
            sa.func.sum(generation).label("generations"),
        )
        .group_by(c.ticket_id)
        .subquery()
    )


def _failed(checks: Any) -> tuple[str, ...]:
    return tuple(c["name"] for c in checks or () if isinstance(c, dict) and c.get("verdict") == "fail")


def _stages(timings: Any) -> tuple[tuple[str, float], ...]:
    return tuple((str(k), float(v)) for k, v in (timings or {}).items() if isinstance(v, int | float))


class SqlReportSource:
    """Implements ``ReportSource``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def ticket_facts(self, since: datetime, until: datetime) -> list[TicketFacts]:
        t = tickets.c
        totals = _ledger_totals()
        query = (
            sa.select(
                t.id,
                t.channel,
                t.received_at,
                t.outcome,
                t.outcome_reason,
                t.route,
                t.checks,
                t.timings,
                totals.c.cost,
                totals.c.projected,
                totals.c.input_tokens,
                totals.c.output_tokens,
                totals.c.cached,
                totals.c.calls,
                totals.c.generations,
            )
            .select_from(tickets.outerjoin(totals, totals.c.ticket_id == t.id))
            .where(t.status == _DONE, t.received_at >= since, t.received_at < until)
            .order_by(t.received_at, t.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            TicketFacts(
                ticket_id=TicketId(r.id),
                channel=r.channel,
                received_at=aware(r.received_at),
                outcome=r.outcome or "unknown",
                reason=r.outcome_reason,
                route=r.route,
                failed_checks=_failed(r.checks),
                stage_ms=_stages(r.timings),
                cost_usd=float(r.cost or 0.0),
                projected_usd=float(r.projected or 0.0),
                input_tokens=int(r.input_tokens or 0),
                output_tokens=int(r.output_tokens or 0),
                cached_tokens=int(r.cached or 0),
                model_calls=int(r.calls or 0),
                drafted=bool(r.generations),
            )
            for r in rows
        ]

    def review_candidates(self, since: datetime, until: datetime) -> dict[str, list[TicketId]]:
        t = tickets.c
        query = (
            sa.select(t.id, t.outcome)
            .where(t.status == _DONE, t.received_at >= since, t.received_at < until)
            .order_by(t.received_at, t.id)
        )
        found: dict[str, list[TicketId]] = {}
        with self.engine.connect() as conn:
            for ticket_id, outcome in conn.execute(query):
                found.setdefault(outcome or "unknown", []).append(TicketId(ticket_id))
        return found

    def review_items(self, sampled: dict[TicketId, str]) -> list[ReviewItem]:
        t = tickets.c
        query = (
            sa.select(
                t.id,
                t.channel,
                t.received_at,
                t.intent,
                t.text,
                t.draft,
                t.outcome_reason,
                outbox.c.body,
                reviews.c.reason,
            )
            .select_from(
                tickets.outerjoin(outbox, outbox.c.ticket_id == t.id).outerjoin(
                    reviews, reviews.c.ticket_id == t.id
                )
            )
            .where(t.id.in_(list(sampled)))
        )
        with self.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(query)}
        return [
            ReviewItem(
                ticket_id=TicketId(r.id),
                kind=GradeKind(sampled[TicketId(r.id)]),
                channel=r.channel,
                received_at=aware(r.received_at),
                intent=r.intent,
                customer_text=r.text,
                reply=r.body if r.body is not None else r.draft,
                reason=r.reason if r.reason is not None else r.outcome_reason,
            )
            for ticket_id in sampled
            if (r := rows.get(ticket_id)) is not None
        ]
