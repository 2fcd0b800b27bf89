"""Insert-or-ignore, the one place the dialects' ``ON CONFLICT DO NOTHING`` is spelled."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert_or_ignore(conn: sa.Connection, table: sa.Table, key: Sequence[str]) -> sa.Insert:
    """An insert into ``table`` that does nothing when a row with the same unique ``key`` exists.

    A concurrent writer of the same key does not make it fail: it waits for that writer and then skips
    (PostgreSQL), or it never overlaps with it (SQLite, whose writers take turns). Add ``returning(...)``
    to tell: a skipped row returns nothing (``rowcount`` cannot say, psycopg reports -1).
    """
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(key))
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(key))
    raise NotImplementedError(f"no insert-or-ignore for the {conn.dialect.name} dialect")
