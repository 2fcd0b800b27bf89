"""``SqlCursors``: the ``Cursors`` port: where each poller resumes, by name, as a small JSON value.

Shared by every poller (an IMAP folder's ``{"uidvalidity": …, "uid": …}``, a helpdesk's ``updated_since``)
and every worker: the checkpoint lives in the database, never in a process.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ticketflow.storage.tables import cursors
from ticketflow.storage.times import utcnow


class SqlCursors:
    """Implements ``Cursors``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(cursors.c.value).where(cursors.c.name == name)).scalar()
        return dict(value) if isinstance(value, dict) else None

    def put(self, name: str, value: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                cursors.update().where(cursors.c.name == name).values(value=value, updated_at=utcnow())
            )
            if done.rowcount == 0:
                conn.execute(cursors.insert().values(name=name, value=value, updated_at=utcnow()))
