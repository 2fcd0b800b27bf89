"""``ReplayLedger``: the attempt journal of one replay arm, which ledgers each answered attempt at once.

A replay's engines have no ticket store (they must not deliver), but their paid calls are real money: each
attempt a provider settles becomes a ledger line under the arm's own id, ``replay:<run>:<arm>:<ticket>``,
in the replayed database. The daily spend (``SqlLedger.spent_today``) counts every ledger line, so what a
replay spends also counts against the daily budget of production and of the replay itself; the per-ticket
figures (reports, dashboard, alerts) join ledger lines to tickets, which these ids name none of. A failed
attempt charged nothing and is not written; one in flight when the replay dies is lost with it.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from ticketflow.domain.draft import Usage
from ticketflow.domain.ids import TicketId
from ticketflow.storage import ledger
from ticketflow.storage.times import utcnow


def replay_ledger_id(run_id: str, arm: str, ticket_id: str) -> str:
    """The ledger id of one ticket's run through one arm of one replay."""
    return f"replay:{run_id}:{arm}:{ticket_id}"


class ReplayLedger:
    """Implements ``AttemptJournal`` for arm ``arm`` of replay ``run_id``."""

    def __init__(self, engine: sa.Engine, run_id: str, arm: str) -> None:
        self.engine = engine
        self.run_id = run_id
        self.arm = arm
        self._began: dict[str, str] = {}
        self._lines: dict[str, int] = {}
        self._lock = threading.Lock()

    def began(self, ticket_id: TicketId, attempt_id: str, model: str, purpose: str, estimate: float) -> None:
        with self._lock:
            self._began[attempt_id] = replay_ledger_id(self.run_id, self.arm, ticket_id)

    def settled(self, attempt_id: str, usage: Usage) -> None:
        with self._lock:
            ledger_id = self._began.pop(attempt_id, None)
            if ledger_id is None:
                return
            seq = self._lines[ledger_id] = self._lines.get(ledger_id, 0) + 1
        with self.engine.begin() as conn:
            ledger.append(conn, ledger_id, seq, usage, utcnow())

    def failed(self, attempt_id: str, status: int | None, request_id: str | None) -> None:
        with self._lock:
            self._began.pop(attempt_id, None)
