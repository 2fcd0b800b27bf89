"""The audit trail and the ledger prove themselves: hash-chained, append-only by the database's triggers,
and ``ticketflow audit verify`` names the first row that an attacker with DDL altered or removed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from store_contract import message, result_for
from ticketflow.cli import app
from ticketflow.domain.draft import Draft
from ticketflow.pipeline.generation import Generator, Prepared
from ticketflow.storage import chain
from ticketflow.storage.repository import SqlStore
from ticketflow.testing.privacy import ListedMasker


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    opened = SqlStore.open(database_url)
    yield opened
    opened.close()


def _finished(store: SqlStore, n: int) -> list[str]:
    ids = []
    for i in range(n):
        accepted = store.tickets.accept(message(f"m-{i}", thread=f"thread-{i}"))
        store.tickets.finish(result_for(store.tickets.load_ticket(accepted.ticket_id)))
        ids.append(accepted.ticket_id)
    return ids


def _drop_triggers(conn: sa.Connection) -> None:
    """What an attacker with DDL rights does first."""
    if conn.dialect.name == "postgresql":
        for table in ("audit_log", "ledger"):
            conn.execute(sa.text(f"DROP TRIGGER {table}_append_only ON {table}"))
        return
    for name in ("ledger_no_update", "ledger_no_delete", "audit_log_no_update", "audit_log_no_delete"):
        conn.execute(sa.text(f"DROP TRIGGER {name}"))


def _verify(store: SqlStore) -> tuple[list[chain.Verified], chain.Break | None]:
    with store.engine.connect() as conn:
        return chain.verify(conn)


def test_an_untouched_store_verifies_with_every_entry_counted(store: SqlStore) -> None:
    _finished(store, 3)

    intact, broken = _verify(store)

    assert broken is None
    # per ticket: accepted + decided audit rows, three ledger lines (generation, projection, judge)
    assert {v.table: v.entries for v in intact} == {"ledger": 9, "audit_log": 6}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger SET cost_usd = 0",
        "DELETE FROM ledger",
        "UPDATE audit_log SET event = 'x'",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET detail = NULL, hash = 'x'",
    ],
)
def test_the_database_refuses_to_change_or_remove_entries(store: SqlStore, statement: str) -> None:
    _finished(store, 1)

    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text(statement))


def test_a_tampered_ledger_row_is_named(store: SqlStore) -> None:
    ids = _finished(store, 3)
    with store.engine.begin() as conn:
        _drop_triggers(conn)
        target = conn.execute(
            sa.text("SELECT id FROM ledger ORDER BY chain_seq LIMIT 1 OFFSET 4")
        ).scalar_one()
        conn.execute(sa.text("UPDATE ledger SET cost_usd = 0 WHERE id = :id"), {"id": target})

    _, broken = _verify(store)

    assert broken is not None
    assert (broken.table, broken.row_id, broken.ticket_id) == ("ledger", target, ids[1])
    assert "hash differs" in broken.what


def test_a_tampered_audit_detail_is_named(store: SqlStore) -> None:
    ids = _finished(store, 2)
    with store.engine.begin() as conn:
        _drop_triggers(conn)
        row = conn.execute(
            sa.text("SELECT id FROM audit_log WHERE ticket_id = :t AND event = 'decided'"), {"t": ids[1]}
        ).scalar_one()
        conn.execute(
            sa.text('UPDATE audit_log SET detail = \'{"route": "human"}\' WHERE id = :id'), {"id": row}
        )

    _, broken = _verify(store)

    assert broken is not None
    assert (broken.table, broken.row_id, broken.ticket_id) == ("audit_log", row, ids[1])
    assert "detail differs" in broken.what


def test_a_deleted_row_is_detected_in_the_middle_and_at_the_end(store: SqlStore) -> None:
    _finished(store, 2)
    with store.engine.begin() as conn:
        _drop_triggers(conn)
        conn.execute(sa.text("DELETE FROM audit_log WHERE chain_seq = 2"))

    _, broken = _verify(store)
    assert broken is not None and broken.table == "audit_log" and broken.seq == 3
    assert "seq jumps from 1 to 3" in broken.what

    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger WHERE chain_seq = (SELECT max(chain_seq) FROM ledger)"))
    _, broken = _verify(store)
    assert broken is not None and broken.table == "ledger" and "missing" in broken.what


def test_concurrent_appends_build_one_chain(store: SqlStore) -> None:
    accepted = [store.tickets.accept(message(f"c-{i}", thread=f"c-{i}")) for i in range(8)]
    errors: list[BaseException] = []

    def finish(ticket_id: str) -> None:
        try:
            store.tickets.finish(result_for(store.tickets.load_ticket(ticket_id)))  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=finish, args=(a.ticket_id,)) for a in accepted]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    intact, broken = _verify(store)
    assert errors == [] and broken is None
    assert {v.table: v.entries for v in intact} == {"ledger": 24, "audit_log": 16}


def test_the_command_exits_1_naming_the_row_and_0_with_counts(tmp_path: Path, database_url: str) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "ticketflow.toml").write_text(f'database_url = "{database_url}"\n', encoding="utf-8")
    store = SqlStore.open(database_url)
    try:
        _finished(store, 1)
        runner = CliRunner()
        ok = runner.invoke(app, ["audit", "verify", "--workspace", str(workspace)])
        assert ok.exit_code == 0, ok.output
        assert "ledger: 3 entries intact" in ok.stdout and "audit_log: 2 entries intact" in ok.stdout
        with store.engine.begin() as conn:
            _drop_triggers(conn)
            conn.execute(sa.text("UPDATE ledger SET model = 'cheaper' WHERE chain_seq = 2"))
        bad = runner.invoke(app, ["audit", "verify", "--workspace", str(workspace)])
    finally:
        store.close()
    assert bad.exit_code == 1
    assert "BROKEN: ledger id=" in bad.stderr and "seq=2" in bad.stderr


def test_the_decided_entry_says_what_reached_which_model_without_any_text(store: SqlStore) -> None:
    accepted = store.tickets.accept(message("m-rec", "I am Ana, ana@example.com"))
    result = result_for(store.tickets.load_ticket(accepted.ticket_id))
    assert result.draft is not None
    masked = dataclasses.replace(result.draft, masked=("<PERSON_1>", "<EMAIL_ADDRESS_1>"))
    store.tickets.finish(dataclasses.replace(result, draft=masked))

    entries = store.audit.trail(accepted.ticket_id)
    detail = next(e.detail for e in entries if e.event == "decided")

    assert detail is not None
    assert detail["calls"][0] == {
        "purpose": "generation",
        "model": "claude-sonnet-5-5",
        "request_id": "req_1",
        "attempt_id": None,
        "projected": False,
    }
    assert [c["purpose"] for c in detail["calls"]] == ["generation", "generation", "judge"]
    assert detail["masked"] == {
        "placeholders": ["<PERSON_1>", "<EMAIL_ADDRESS_1>"],
        "kinds": {"EMAIL_ADDRESS": 1, "PERSON": 1},
    }
    assert detail["output_sha256"] == hashlib.sha256(b"It ships Monday.").hexdigest()
    assert detail["checks"] == {"length": "pass", "judge": "warn"}
    everything = json.dumps([e.detail for e in entries])
    assert "ana@example.com" not in everything and "Ana" not in everything and "Monday" not in everything


def test_generation_hands_the_placeholders_not_the_values_to_the_record() -> None:
    masker = ListedMasker({"ana@example.com": "EMAIL_ADDRESS"})
    prepared = Prepared(request=None, masked=masker.mask("write to ana@example.com"))  # type: ignore[arg-type]
    generator = Generator(provider=None, system_prompt="", masker=masker)  # type: ignore[arg-type]

    draft = generator.finish(prepared, Draft("Sent to <EMAIL_ADDRESS_1>."))

    assert draft.reply == "Sent to ana@example.com." and draft.masked == ("<EMAIL_ADDRESS_1>",)
