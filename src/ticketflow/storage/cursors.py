"""``SqlCursors``: the ``cursors`` table, where pollers keep where they stopped (a name → a JSON value).

A poller reads its cursor at the start of a pass and writes the new one once the pass's messages are
stored, so a pass that dies in between runs again from the old cursor and finds the same messages, which
intake dedupes by external id. One row per name, overwritten in place.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ticketflow.storage.tables import cursors
from ticketflow.storage.times import utcnow


class SqlCursors:
    """Implements ``ports.store.Cursors`` on SQLite and PostgreSQL."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> Any | None:
        """The value stored under ``name``, or None when nothing is."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(cursors.c.value).where(cursors.c.name == name)).first()
        return None if row is None else row[0]

    def put(self, name: str, value: Any) -> None:
        """Store ``value`` (anything JSON can hold) under ``name``, replacing what was there."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        now = utcnow()
        insert = dialect.insert(cursors).values(name=name, value=value, updated_at=now)
        upsert = insert.on_conflict_do_update(
            index_elements=[cursors.c.name], set_={"value": value, "updated_at": now}
        )
        with self.engine.begin() as conn:
            conn.execute(upsert)
