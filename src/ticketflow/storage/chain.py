"""Hash chains over the append-only tables (``audit_log``, ``ledger``): each row commits to the one before.

A row's ``hash`` is SHA-256 over a canonical JSON of its chain's name, its ``chain_seq``, the previous row's
hash and the row's fields (:func:`link`); ``chain_heads`` holds each chain's newest link. An append takes
the chain lock first (:func:`lock`: a transaction-scoped advisory lock on PostgreSQL, one for both chains so
two appenders never wait on each other in opposite orders; on SQLite every writer already holds the
database's write lock from ``BEGIN IMMEDIATE``), so concurrent workers build one chain, never a fork.

``audit_log`` rows chain over ``detail_sha256``, the digest of their detail, not the detail itself: erasing
a person's detail (``storage.erasure``) leaves the chain verifying. :func:`verify` walks both chains and
names the first row that breaks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ticketflow.storage.tables import audit_log, chain_heads, ledger
from ticketflow.storage.times import aware, utcnow

GENESIS = "0" * 64
"""The ``prev_hash`` of a chain's first row."""

_LOCK_KEY = 0x7466_6368_6169_6E  # "tfchain": one advisory lock for every chain
AUDIT, LEDGER = "audit_log", "ledger"
_LEDGER_FIELDS = (
    "ticket_id",
    "seq",
    "purpose",
    "model",
    "projected",
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "cost_usd",
    "latency_ms",
    "attempt",
    "request_id",
    "stop_reason",
    "at",
    "attempt_id",
    "in_doubt",
)
_AUDIT_FIELDS = ("ticket_id", "event", "at", "detail_sha256")


def canonical(value: Any) -> bytes:
    """The one serialisation hashed: JSON, keys sorted, no spaces, times as ISO 8601 in UTC."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_iso).encode()


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return aware(value).astimezone(UTC).isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def digest(value: Any) -> str:
    """SHA-256 of ``value``'s canonical form, in hex."""
    return hashlib.sha256(canonical(value)).hexdigest()


def entry_hash(chain: str, seq: int, prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The hash a row at ``seq`` of ``chain`` carries, after ``prev_hash``."""
    return digest({"chain": chain, "seq": seq, "prev": prev_hash, "row": dict(fields)})


def lock(conn: sa.Connection) -> None:
    """Serialise chain appends until the transaction ends (PostgreSQL; SQLite writers take turns anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def link(conn: sa.Connection, chain: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The chain columns of a new row of ``chain`` holding ``fields``, the chain's head moved onto it.

    Call inside the transaction that inserts the row, and insert it: the head is moved in that transaction.
    """
    lock(conn)
    head = conn.execute(
        sa.select(chain_heads.c.seq, chain_heads.c.hash).where(chain_heads.c.chain == chain)
    ).first()
    seq, prev = (head[0] + 1, head[1]) if head is not None else (1, GENESIS)
    value = entry_hash(chain, seq, prev, fields)
    now = utcnow()
    if head is None:
        conn.execute(chain_heads.insert().values(chain=chain, seq=seq, hash=value, updated_at=now))
    else:
        conn.execute(
            chain_heads.update()
            .where(chain_heads.c.chain == chain)
            .values(seq=seq, hash=value, updated_at=now)
        )
    return {"chain_seq": seq, "prev_hash": prev, "hash": value}


def ledger_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a ledger row its hash covers (every column but its id and chain columns), typed as
    the database gives them back (a cost written as ``0`` reads back ``0.0``)."""
    fields = {name: values.get(name) for name in _LEDGER_FIELDS}
    for name in ("cost_usd", "latency_ms"):
        fields[name] = float(fields[name] or 0.0)
    for name in ("projected", "in_doubt"):
        fields[name] = bool(fields[name])
    return fields


def audit_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an audit row its hash covers (the detail through its digest)."""
    return {name: values.get(name) for name in _AUDIT_FIELDS}


@dataclass(frozen=True, slots=True)
class Break:
    """The first row where a chain stops verifying: which table, row and ticket, and what differs."""

    table: str
    row_id: int | None
    ticket_id: str | None
    seq: int | None
    what: str

    def __str__(self) -> str:
        where = f"{self.table} id={self.row_id} seq={self.seq} ticket={self.ticket_id}"
        return f"{where}: {self.what}"


@dataclass(frozen=True, slots=True)
class Verified:
    """A chain walked end to end: how many rows verified, how many predate the chain, how many erased."""

    table: str
    entries: int
    unchained: int
    erased: int
    head: str


def verify(conn: sa.Connection) -> tuple[list[Verified], Break | None]:
    """Walk both chains; the summaries of those intact, and the first break found (or None)."""
    done: list[Verified] = []
    for table in (LEDGER, AUDIT):
        outcome = _walk(conn, table)
        if isinstance(outcome, Break):
            return done, outcome
        done.append(outcome)
    return done, None


def _walk(conn: sa.Connection, name: str) -> Verified | Break:
    table = ledger if name == LEDGER else audit_log
    unchained = conn.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c.chain_seq.is_(None))
    ).scalar_one()
    head = conn.execute(sa.select(chain_heads).where(chain_heads.c.chain == name)).first()
    erased = 0
    seq, prev = 0, GENESIS
    query = sa.select(table).where(table.c.chain_seq.is_not(None)).order_by(table.c.chain_seq)
    with conn.execute(query.execution_options(yield_per=1000)) as rows:  # closed on an early return too
        for row in rows:
            values = dict(row._mapping)
            broken = _check(name, values, seq, prev)
            if broken is not None:
                return Break(name, row.id, row.ticket_id, row.chain_seq, broken)
            if name == AUDIT and values["detail"] is None:
                erased += 1
            seq, prev = row.chain_seq, row.hash
    if head is None and seq:
        return Break(name, None, None, seq, "rows are chained but the chain's head is gone")
    if head is not None and (head.seq, head.hash) != (seq, prev):
        missing = f"rows {seq + 1}..{head.seq} are missing" if head.seq > seq else "the head does not match"
        what = f"the chain's head is at seq {head.seq}, the table ends at {seq}: {missing}"
        return Break(name, None, None, head.seq, what)
    return Verified(name, seq, int(unchained), erased, prev)


def _check(name: str, values: Mapping[str, Any], seq: int, prev: str) -> str | None:
    """What is wrong with one row following ``(seq, prev)``, or None."""
    if values["chain_seq"] != seq + 1:
        gap = f"rows {seq + 1}..{values['chain_seq'] - 1}" if values["chain_seq"] > seq + 1 else "a row"
        return f"seq jumps from {seq} to {values['chain_seq']}: {gap} deleted"
    if values["prev_hash"] != prev:
        return f"prev_hash {values['prev_hash']} is not the previous row's hash {prev}"
    if name == AUDIT:
        detail = values["detail"]
        if detail is not None and digest(detail) != values["detail_sha256"]:
            return "detail differs from its digest detail_sha256 (the detail was altered)"
        fields = audit_fields(values)
    else:
        fields = ledger_fields(values)
    if entry_hash(name, values["chain_seq"], prev, fields) != values["hash"]:
        changed = ", ".join(fields)
        return f"hash differs from the row's contents: one of {changed} (or the hash) was altered"
    return None
