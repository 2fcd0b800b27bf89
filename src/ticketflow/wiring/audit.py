"""The audit trail's operations, opened from settings without assembling an engine: verifying the hash
chains (``ticketflow audit verify``), the retention sweep (``ticketflow retention apply`` and the runtime's
scheduled ``ticketflow.retention_sweep``) and erasing a person (``ticketflow erase``). See docs/audit.md.

The durable runtime's checkpoints (DBOS's ``workflow_status``, ``workflow_input``, ``workflow_output`` and
``operation_outputs`` rows) hold a ticket's raw text, its context's account block and the reply. Once the
ticket's workflow has succeeded and every workflow it started (its delivery) has ended, they serve nothing
but a replay that will never come, so the sweep deletes them after ``[retention] checkpoints``; the same for
every other finished workflow (the mail and desk polls' carry raw messages too).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from dbos import DBOSClient

from ticketflow.settings import Settings
from ticketflow.storage import chain, erasure
from ticketflow.storage.db import create_engine, migrate

log = logging.getLogger("ticketflow.retention")

_ENDED = frozenset({"SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"})
_BATCH = 200


def verify_chains(settings: Settings) -> tuple[list[chain.Verified], chain.Break | None]:
    """Walk the workspace database's chains (migrating the schema first): those intact, the first break."""
    with _database(settings) as engine, engine.connect() as conn:
        return chain.verify(conn)


@contextmanager
def _database(settings: Settings) -> Iterator[sa.Engine]:
    engine = create_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


def _has_checkpoints(system_database_url: str) -> bool:
    """Whether the runtime ever ran on this system database (DBOS creates its tables at launch)."""
    engine = create_engine(system_database_url)
    try:
        schema = "dbos" if engine.dialect.name == "postgresql" else None
        return sa.inspect(engine).has_table("workflow_status", schema=schema)
    finally:
        engine.dispose()


class Checkpoints:
    """The ticket workflows' checkpoints in the DBOS system database (through ``DBOSClient``)."""

    def __init__(self, system_database_url: str) -> None:
        self._client = DBOSClient(system_database_url=system_database_url)

    def close(self) -> None:
        """Release the client's connections."""
        self._client.destroy()

    def prunable(self, before: datetime) -> list[str]:
        """Workflows (tickets', and the mail and desk polls' that carried raw messages) that succeeded
        before ``before``, started by no other, and whose every child workflow (a delivery) has ended."""
        done = self._client.list_workflows(
            status="SUCCESS",
            has_parent=False,
            completed_before=before.isoformat(),
            limit=_BATCH,
            load_input=False,
            load_output=False,
        )
        ids = [w.workflow_id for w in done]
        if not ids:
            return []
        children = self._client.list_workflows(parent_workflow_id=ids, load_input=False, load_output=False)
        waiting = {c.parent_workflow_id for c in children if c.status not in _ENDED}
        return [i for i in ids if i not in waiting]

    def ended(self, workflow_ids: Sequence[str]) -> list[str]:
        """Those of ``workflow_ids`` that exist and have ended (a running one is never deleted)."""
        if not workflow_ids:
            return []
        found = self._client.list_workflows(
            workflow_ids=list(workflow_ids), load_input=False, load_output=False
        )
        return sorted(w.workflow_id for w in found if w.status in _ENDED)

    def delete(self, workflow_ids: Sequence[str]) -> None:
        """Delete the workflows, their children, and every checkpoint of theirs."""
        if workflow_ids:
            self._client.delete_workflows(list(workflow_ids), delete_children=True)


@dataclass(frozen=True, slots=True)
class Swept:
    """One retention sweep: finished workflows whose checkpoints went, tickets whose texts were redacted."""

    workflows_pruned: int
    tickets_redacted: int


def sweep(settings: Settings, now: datetime | None = None, grace: timedelta = timedelta(0)) -> Swept:
    """Apply ``[retention]`` once: prune finished workflows' checkpoints, redact expired tickets' texts.

    ``grace``: checkpoints are kept at least that long whatever ``checkpoints`` says (the scheduled sweep
    keeps a ticket's result readable for a while by whoever waits for it, ``Runtime.result``)."""
    now = now or datetime.now(UTC)
    retention = settings.retention
    pruned = redacted = 0
    if _has_checkpoints(settings.resolved_system_database_url):
        checkpoints = Checkpoints(settings.resolved_system_database_url)
        try:
            while batch := checkpoints.prunable(now - max(retention.period("checkpoints"), grace)):
                checkpoints.delete(batch)
                pruned += len(batch)
                if len(batch) < _BATCH:
                    break
        finally:
            checkpoints.close()
    with _database(settings) as engine:
        while True:
            with engine.begin() as conn:
                expired = erasure.expired_tickets(conn, now - retention.period("messages"), _BATCH)
                if expired:
                    erasure.redact(conn, expired, (), erase_audit=False, why="retention: messages")
            redacted += len(expired)
            if len(expired) < _BATCH:
                break
        with engine.begin() as conn:
            erasure.expire_turns(conn, now - retention.period("messages"))
    if pruned or redacted:
        log.info("retention: %d ticket workflows pruned, %d tickets redacted", pruned, redacted)
    return Swept(pruned, redacted)


@dataclass(frozen=True, slots=True)
class Erasure:
    """What ``ticketflow erase`` did, and the files under var/ that still hold the person's values."""

    tickets: int
    conversations: int
    audit_details: int
    workflows_deleted: int
    files_still_holding: tuple[Path, ...]


def erase_customer(settings: Settings, who: str, values: Sequence[str] = ()) -> Erasure:
    """Erase one person (email or customer id): their tickets' and conversations' data in the database,
    their workflows' checkpoints, their audit entries' details; then scrub the SQLite files, and search
    var/ for ``who`` and ``values`` (their name, phone) left in any other file."""
    with _database(settings) as engine:
        with engine.begin() as conn:
            ticket_ids, conversation_ids = erasure.customer_tickets(conn, who)
            done = erasure.redact(conn, ticket_ids, conversation_ids, erase_audit=True, why="erasure request")
        erasure.compact(engine)
    needles = [v.encode("utf-8") for v in {who, who.lower(), *values} if v]
    workflows: list[str] = []
    if _has_checkpoints(settings.resolved_system_database_url):
        holding = checkpoints_holding(settings.resolved_system_database_url, needles)
        checkpoints = Checkpoints(settings.resolved_system_database_url)
        try:
            workflows = checkpoints.ended(sorted(set(done.workflow_ids).union(*holding.values())))
            checkpoints.delete(workflows)
        finally:
            checkpoints.close()
        system = create_engine(settings.resolved_system_database_url)
        try:
            erasure.compact(system)
        finally:
            system.dispose()
    return Erasure(
        len(done.ticket_ids),
        done.conversations,
        done.audit_details,
        len(workflows),
        tuple(_files_holding(settings.var_dir, needles)),
    )


_PAYLOAD_COLUMNS = ("inputs", "output", "error", "value", "message", "request")


def checkpoints_holding(system_database_url: str, needles: Sequence[bytes]) -> dict[str, list[str]]:
    """Per DBOS table, the workflow of each row whose payload holds any of ``needles``: searched as stored
    and decoded (DBOS keeps base64 pickles, whose strings are UTF-8), so encoding hides nothing."""
    engine = create_engine(system_database_url)
    found: dict[str, list[str]] = {}
    try:
        schema = "dbos" if engine.dialect.name == "postgresql" else None
        meta = sa.MetaData()
        meta.reflect(engine, schema=schema)
        with engine.connect() as conn:
            for table in meta.tables.values():
                columns = [table.c[n] for n in _PAYLOAD_COLUMNS if n in table.c]
                key = next((table.c[n] for n in ("workflow_uuid", "destination_uuid") if n in table.c), None)
                if key is None or not columns:
                    continue
                for row in conn.execute(sa.select(key, *columns)):
                    if any(_holds(v, needles) for v in row[1:]):
                        found.setdefault(table.name, []).append(row[0])
    finally:
        engine.dispose()
    return found


def _holds(value: object, needles: Sequence[bytes]) -> bool:
    if value is None:
        return False
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
    if any(n in raw for n in needles):
        return True
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return False
    return any(n in decoded for n in needles)


def _files_holding(root: Path, needles: Sequence[bytes]) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if any(n in data for n in needles):
                yield path
