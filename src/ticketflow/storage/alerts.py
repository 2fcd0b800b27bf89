"""The alerts' store: windowed figures over tickets, ledger and attempts (``OpsFigures``), and rule states
with their events (``AlertStore``).

A rule moves by compare-and-set: the state row is updated only where it still holds the state the
evaluator read, and the event is inserted in the same transaction under a unique ``(rule, seq, kind)``; so
two workers evaluating at once write one move and one event, and the loser writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ticketflow.domain.alerts import (
    AlertEvent,
    AlertState,
    BacklogFigures,
    ModelFigures,
    TicketFigures,
)
from ticketflow.storage.attempts import FAILED
from ticketflow.storage.tables import alert_events, alert_states, attempts, ledger, tickets
from ticketflow.storage.tickets import DONE
from ticketflow.storage.times import aware, aware_or_none, utcnow


class SqlOpsFigures:
    """Implements ``ports.alerts.OpsFigures``: a few aggregate queries per window."""

    def __init__(self, engine: sa.Engine, spent_today: Callable[[], float]) -> None:
        """``spent_today``: the ledger's own (charged spend since midnight, journal included)."""
        self.engine = engine
        self._spent_today = spent_today

    def tickets(self, since: datetime) -> TicketFigures:
        t = tickets.c
        window = sa.and_(t.status == DONE, t.updated_at >= since)
        cost = (
            sa.select(sa.func.coalesce(sa.func.sum(ledger.c.cost_usd), 0.0))
            .select_from(ledger)
            .join(tickets, tickets.c.id == ledger.c.ticket_id)
            .where(window)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.outcome, t.checks).where(window)).all()
            spent = float(conn.execute(cost).scalar_one())
        failed_by: Counter[str] = Counter()
        validated = failed_any = 0
        for row in rows:
            checks = row.checks or []
            if checks:
                validated += 1
            failed = {c.get("name") for c in checks if isinstance(c, dict) and c.get("verdict") == "fail"}
            failed_by.update(str(name) for name in failed)
            failed_any += bool(failed)
        return TicketFigures(
            finished=len(rows),
            not_sent=sum(1 for row in rows if row.outcome != "sent"),
            cost_usd=spent,
            validated=validated,
            failed_any=failed_any,
            failed_by_check=dict(failed_by),
        )

    def models(self, since: datetime) -> ModelFigures:
        a, c = attempts.c, ledger.c
        with self.engine.connect() as conn:
            states: dict[str, int] = dict(
                conn.execute(sa.select(a.state, sa.func.count()).where(a.began_at >= since).group_by(a.state))
                .tuples()
                .all()
            )
            latencies = (
                conn.execute(
                    sa.select(c.latency_ms).where(
                        c.at >= since, c.in_doubt.is_(False), c.projected.is_(False)
                    )
                )
                .scalars()
                .all()
            )
        import numpy as np  # here, not at import: building an engine should not load numpy

        p95 = float(np.percentile(latencies, 95)) if latencies else None
        return ModelFigures(
            attempts=sum(states.values()),
            failed=states.get(FAILED, 0),
            calls=len(latencies),
            latency_p95_ms=p95,
        )

    def backlog(self, now: datetime) -> BacklogFigures:
        t = tickets.c
        # waiting since we accepted it (or last moved it on), not since the message says it was written: a
        # helpdesk backfill or an imported history carries old ``received_at`` times that are not backlog
        query = sa.select(sa.func.count(), sa.func.min(t.updated_at)).where(t.status != DONE)
        with self.engine.connect() as conn:
            depth, oldest = conn.execute(query).one()
        age = (now - aware(oldest)).total_seconds() if oldest is not None else 0.0
        return BacklogFigures(depth=int(depth), oldest_age_s=max(0.0, age))

    def spent_today(self) -> float:
        return float(self._spent_today())


def _state(row: Any) -> AlertState:
    return AlertState(
        rule=row.rule,
        firing=row.firing,
        seq=row.seq,
        value=row.value,
        since=aware_or_none(row.since),
        last_fired_at=aware_or_none(row.last_fired_at),
        resolved_at=aware_or_none(row.resolved_at),
        evaluated_at=aware_or_none(row.evaluated_at),
        cooling=row.cooling,
    )


def _event(row: Any) -> AlertEvent:
    return AlertEvent(
        rule=row.rule,
        seq=row.seq,
        kind=row.kind,
        metric=row.metric,
        value=row.value,
        threshold=row.threshold,
        severity=row.severity,
        at=aware(row.at),
        summary=row.summary,
    )


def _values(state: AlertState) -> dict[str, Any]:
    return {
        "firing": state.firing,
        "cooling": state.cooling,
        "seq": state.seq,
        "value": state.value,
        "since": state.since,
        "last_fired_at": state.last_fired_at,
        "resolved_at": state.resolved_at,
        "evaluated_at": state.evaluated_at,
    }


class SqlAlertStore:
    """Implements ``ports.alerts.AlertStore`` on ``alert_states`` and ``alert_events``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def states(self) -> dict[str, AlertState]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(alert_states)).all()
        return {row.rule: _state(row) for row in rows}

    def advance(self, previous: AlertState, new: AlertState, event: AlertEvent | None) -> bool:
        s = alert_states.c
        try:
            with self.engine.begin() as conn:
                exists = conn.execute(sa.select(s.rule).where(s.rule == previous.rule)).first() is not None
                if not exists:
                    if previous.seq != 0 or previous.firing:
                        return False  # the state read was stored, and has been removed since
                    conn.execute(alert_states.insert().values(rule=new.rule, **_values(new)))
                else:
                    moved = conn.execute(
                        alert_states.update()
                        .where(s.rule == previous.rule, s.seq == previous.seq, s.firing == previous.firing)
                        .values(**_values(new))
                    )
                    if moved.rowcount != 1:
                        return False
                if event is not None:
                    conn.execute(
                        alert_events.insert().values(
                            rule=event.rule,
                            seq=event.seq,
                            kind=event.kind,
                            metric=event.metric,
                            value=event.value,
                            threshold=event.threshold,
                            severity=event.severity,
                            summary=event.summary,
                            at=event.at,
                        )
                    )
        except sa.exc.IntegrityError:  # another evaluator inserted the same row or event first
            return False
        return True

    def pending(self) -> list[AlertEvent]:
        e = alert_events.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(alert_events).where(e.notified_at.is_(None)).order_by(e.id)).all()
        return [_event(row) for row in rows]

    def notified(self, event: AlertEvent, outcome: str) -> None:
        e = alert_events.c
        with self.engine.begin() as conn:
            conn.execute(
                alert_events.update()
                .where(
                    e.rule == event.rule, e.seq == event.seq, e.kind == event.kind, e.notified_at.is_(None)
                )
                .values(notified_at=utcnow(), outcome=outcome)
            )

    def events(self, limit: int = 50) -> list[tuple[AlertEvent, str | None]]:
        e = alert_events.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(alert_events).order_by(e.id.desc()).limit(limit)).all()
        return [(_event(row), row.outcome) for row in rows]
