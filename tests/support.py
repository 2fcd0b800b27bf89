"""Paths and helpers shared by tests (importable as ``support``: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from ticketflow.domain.ids import ConversationId, conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket, Turn

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "examples" / "store"
DATASETS = ROOT.parent / "shared" / "datasets"
PG_URL = os.environ.get("TICKETFLOW_TEST_DATABASE_URL")
READY_CEILING_S = float(os.environ.get("TICKETFLOW_TEST_READY_CEILING_S", "180"))
"""How long a test waits for a server, a worker or a ticket before failing: generous, because a loaded
machine may take many times longer than a quiet one (the wait ends as soon as the thing is ready)."""


def message_ticket(
    text: str,
    channel: str = "api",
    *,
    subject: str | None = None,
    history: tuple[Turn, ...] = (),
    conversation: ConversationId | None = None,
) -> Ticket:
    """A ticket of one message (external id ``m-1``) from ada@example.com, as intake hands it on."""
    message = InboundMessage(channel, "m-1", CustomerRef(email="ada@example.com"), text, subject=subject)
    conversation = conversation or conversation_id_for(channel, "m-1")
    return Ticket(ticket_id_for(channel, "m-1"), conversation, message, history)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rows(db: sa.Engine, sql: str, **params: Any) -> list[Any]:
    """Every row an SQL query returns, read in a connection of its own."""
    with db.connect() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def dataset(relative: str) -> Path:
    """A shared dataset file, or skip the test with a clear reason when the folder is absent."""
    path = DATASETS / relative
    if not path.exists():
        pytest.skip(f"shared dataset {relative} is not available at {DATASETS}")
    return path


def wait_until(
    ready: Callable[[], object],
    what: str,
    *,
    timeout: float = READY_CEILING_S,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll ``ready`` until it is true; fail naming ``what`` was awaited and for how long.

    With ``process``, a child that exits first fails the wait at once, with its exit code and the end of
    ``log`` (its output), instead of waiting out the ceiling for something that will never come.
    """
    started = time.monotonic()
    while not ready():
        waited = time.monotonic() - started
        if process is not None and process.poll() is not None:
            raise AssertionError(
                f"gave up waiting for {what}: the process exited with {process.returncode} after"
                f" {waited:.1f} s{_tail(log)}"
            )
        if waited > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{_tail(log)}")
        time.sleep(0.1)


def healthy(base_url: str) -> bool:
    """Whether the server at ``base_url`` answers ``/healthz`` with 200 (False while it is starting)."""
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_healthy(
    base_url: str,
    process: subprocess.Popen[bytes],
    *,
    log: Path | None = None,
    timeout: float = READY_CEILING_S,
) -> None:
    """Wait for a ``ticketflow serve`` child to answer ``/healthz``."""
    wait_until(
        lambda: healthy(base_url),
        f"{base_url}/healthz to answer 200",
        timeout=timeout,
        process=process,
        log=log,
    )


WORKER_READY = "worker running on"
"""What ``ticketflow worker`` prints once its runtime has started."""


def wait_for_line(
    log: Path,
    line: str,
    process: subprocess.Popen[bytes],
    *,
    after: int = 0,
    timeout: float = READY_CEILING_S,
) -> None:
    """Wait for a child to write ``line`` (a readiness line) to ``log``, past byte ``after`` of it."""

    def written() -> bool:
        with log.open("rb") as handle:
            handle.seek(after)
            return line.encode() in handle.read()

    wait_until(written, f"{line!r} in {log.name}", timeout=timeout, process=process, log=log)


def _tail(log: Path | None, size: int = 3000) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_bytes()[-size:].decode(errors="replace")
    return f"; the end of {log.name}:\n{text}"


def api_key_headers(database_url: str, *scopes: str) -> dict[str, str]:
    """Create an API key in the database at ``database_url`` (migrating it) and return its header.

    For tests that start ``ticketflow serve`` as a subprocess: the key is made before the server starts,
    in the database the server will use. Scopes default to ingest and read.
    """
    from ticketflow.domain.access import parse_scopes
    from ticketflow.storage.db import create_engine, migrate
    from ticketflow.storage.keys import SqlApiKeys

    engine = create_engine(database_url)
    try:
        migrate(engine)
        _, token = SqlApiKeys(engine).create("e2e", parse_scopes(scopes or ("ingest", "read")))
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def reset_postgres(url: str) -> None:
    """Drop everything ticketflow and DBOS created, so each test starts from an empty database."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS dbos CASCADE"))
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """End a test's ``serve``/``worker`` child: SIGTERM, then SIGKILL if it has not stopped within the
    readiness ceiling (a loaded machine shuts down slowly; cleanup must not fail the test for it)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=READY_CEILING_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
