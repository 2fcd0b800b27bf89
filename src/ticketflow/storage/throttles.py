"""``SqlThrottles``: token buckets in the ``throttles`` table, so a limit holds across every process.

One statement takes a token: an upsert that refills the bucket for the time since its last take (capped at
the burst), takes one if a whole token is there, and returns whether it did. PostgreSQL locks the row for
the statement and SQLite's writers take turns, so two processes racing for a bucket's last token cannot both
get it. Keys are hashed: the table holds no username or address.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ticketflow.storage.tables import throttles

PRUNE_EVERY = 500
"""Takes between two sweeps of the buckets that have refilled completely (a full bucket is no row)."""


class SqlThrottles:
    """Implements ``ports.access.Throttles`` on SQLite and PostgreSQL."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._clock = clock
        self._takes = itertools.count(1)

    def take(self, limit: str, caller: str, per_second: float, burst: float) -> float:
        """One token from ``caller``'s bucket of ``limit``: 0 when admitted, else seconds until one is."""
        key = hashlib.sha256(f"{limit}\0{caller}".encode()).hexdigest()
        now = self._clock()
        t = throttles.c
        refilled = sa.func.coalesce(t.tokens + (now - t.at) * per_second, burst)
        level = sa.case((refilled > burst, burst), else_=refilled)
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        fresh = {"key": key, "name": limit, "tokens": burst - 1.0, "at": now, "admitted": True}
        insert = dialect.insert(throttles).values(**fresh)
        upsert = insert.on_conflict_do_update(
            index_elements=[t.key],
            set_={
                "tokens": sa.case((level >= 1.0, level - 1.0), else_=level),
                "at": now,
                "admitted": level >= 1.0,
            },
        ).returning(t.tokens, t.admitted)
        with self.engine.begin() as conn:
            tokens, admitted = conn.execute(upsert).one()
            if next(self._takes) % PRUNE_EVERY == 0:
                # a bucket idle for as long as it takes to fill is full: the same as no row
                idle = sa.and_(t.name == limit, t.at < now - burst / per_second)
                conn.execute(sa.delete(throttles).where(idle))
        return 0.0 if admitted else (1.0 - tokens) / per_second
