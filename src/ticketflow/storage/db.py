"""Engines and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from ticketflow.errors import StorageError

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url``: SQLite with WAL and a busy timeout (its folder made), PostgreSQL via psycopg
    3."""
    url = normalise_url(url)
    parsed = make_url(url)
    # an error's message (logged, and kept by DBOS with a failed step) never quotes a statement's values:
    # they hold customers' messages and addresses
    kwargs: dict[str, Any] = {"future": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
        # sized for a worker's concurrent workflows: 30 connections at most per process, beside DBOS's own
        # 20, keeps two processes under PostgreSQL's default of 100
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
    engine = sa.create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
            # the driver's own BEGIN is deferred; ours (below) is emitted instead
            dbapi_conn.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin_as_writer(conn: sa.Connection) -> None:
            # A deferred transaction that reads and then writes must upgrade its lock, and in WAL mode that
            # fails at once with "database is locked" when another writer committed since its read: the busy
            # timeout never applies. Taking the write lock at BEGIN makes every transaction wait its turn
            # instead. Reads take it too (SQLAlchemy cannot tell them apart at BEGIN); they are short, and
            # SQLite has one writer at a time whatever the mode.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.OperationalError as exc:
        raise StorageError(
            f"cannot migrate {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from exc
