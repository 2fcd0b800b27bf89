"""Privacy by retention: a finished ticket's durable checkpoints go with the sweep, and ``erase`` leaves no
trace of one person that a search of the database files (SQLite) or of every table (PostgreSQL) finds,
while another customer's data stays and the hash chains still verify."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from dbos import DBOS
from typer.testing import CliRunner

from support import STORE, wait_until
from ticketflow.cli import app
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.runtime.service import Runtime
from ticketflow.settings import RetentionSettings, Settings
from ticketflow.storage.repository import SqlStore
from ticketflow.wiring.audit import checkpoints_holding, erase_customer, sweep, verify_chains
from ticketflow.wiring.engine import Engine


def _customer(customer_id: str) -> dict[str, str]:
    with (STORE / "customers.csv").open(encoding="utf-8") as handle:
        return next(r for r in csv.DictReader(handle) if r["id"] == customer_id)


MAYA, JONAS = _customer("C1001"), _customer("C1002")


def _values(person: dict[str, str]) -> list[bytes]:
    return [person[k].encode("utf-8") for k in ("email", "name", "phone")]


def _run_tickets(engine: Engine, *people: dict[str, str]) -> None:
    """Each person writes twice in one thread, naming themselves; everything is answered and delivered."""
    with Runtime(engine) as runtime:
        ids = []
        for person in people:
            for n, text in enumerate(
                ("Where is my order? It has not arrived yet.", "Can I change my address?")
            ):
                message = InboundMessage(
                    "chat",
                    f"{person['id']}-{n}",
                    CustomerRef(email=person["email"]),
                    f"{text} I am {person['name']}, call me on {person['phone']}.",
                    conversation_ref=f"thread-{person['id']}",
                )
                ids.append(runtime.submit(message)[0])
        for ticket_id in ids:
            runtime.result(ticket_id, timeout=120)

        def delivered() -> bool:
            deliveries = DBOS.list_workflows(name="ticketflow.deliver", load_input=False, load_output=False)
            return len(deliveries) == len(ids) and all(w.status == "SUCCESS" for w in deliveries)

        wait_until(delivered, "every delivery workflow to finish")


@pytest.fixture
def ran(engine: Engine, settings: Settings) -> Settings:
    _run_tickets(engine, MAYA, JONAS)
    return settings


def test_the_sweep_removes_every_checkpoint_holding_customer_data(ran: Settings) -> None:
    needles = _values(MAYA) + _values(JONAS)
    assert checkpoints_holding(ran.resolved_system_database_url, needles), "the checkpoints hold raw data"

    swept = sweep(ran)

    # the four ticket workflows, their deliveries with them (and a scheduled sweep's own, if one ran)
    assert swept.workflows_pruned >= 4
    assert checkpoints_holding(ran.resolved_system_database_url, needles) == {}
    assert verify_chains(ran)[1] is None


def test_a_second_sweep_finds_nothing_and_messages_go_at_the_end_of_their_period(ran: Settings) -> None:
    sweep(ran)

    again = sweep(ran)

    assert again.tickets_redacted == 0 and again.workflows_pruned <= 1  # a scheduled sweep's own, if one ran
    kept = _texts(ran, "SELECT text FROM tickets")
    assert all(MAYA["name"] in t or JONAS["name"] in t for t in kept), "messages = 365d keeps them"

    expired = sweep(ran.model_copy(update={"retention": RetentionSettings(messages="0d")}))

    assert expired.tickets_redacted == 4
    assert set(_texts(ran, "SELECT text FROM tickets UNION ALL SELECT text FROM messages")) == {"[erased]"}
    assert verify_chains(ran)[1] is None


def _texts(settings: Settings, query: str) -> list[str]:
    engine = sa.create_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        found = list(conn.execute(sa.text(query)).scalars())
    engine.dispose()
    return found


def _sqlite_files(url: str) -> list[Path]:
    path = Path(sa.make_url(url).database or "")
    return [p for p in path.parent.glob(path.name + "*") if p.is_file()]


def _found_in_database(url: str, needles: list[bytes]) -> set[bytes]:
    """SQLite: a byte search of the files (with the WAL). PostgreSQL: every row of every table as text."""
    if url.startswith("sqlite"):
        data = b"".join(p.read_bytes() for p in _sqlite_files(url))
        return {n for n in needles if n in data or n.lower() in data.lower()}
    engine = sa.create_engine(url)
    found: set[bytes] = set()
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                sa.text(
                    "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_schema IN ('public', 'dbos') AND table_type = 'BASE TABLE'"
                )
            ).all()
            for schema, table in tables:
                for needle in needles:
                    hit = conn.execute(
                        sa.text(f'SELECT 1 FROM "{schema}"."{table}" t WHERE t::text ILIKE :v LIMIT 1'),
                        {"v": f"%{needle.decode()}%"},
                    ).first()
                    if hit is not None:
                        found.add(needle)
    finally:
        engine.dispose()
    return found


def _people_wrote_about(url: str, email: str, words: str) -> None:
    """An agent's reply, a rejection, the customer's rating comment and a grader's note on one ticket."""
    from datetime import UTC, datetime

    from ticketflow.storage.tables import feedback, grades, review_actions, tickets

    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ticket_id = conn.execute(sa.select(tickets.c.id).where(tickets.c.customer_email == email)).scalar()
        conn.execute(
            review_actions.insert().values(
                ticket_id=ticket_id,
                action="send",
                actor="user:a",
                at=now,
                reason=words,
                diff=words,
                body=words,
            )
        )
        conn.execute(
            feedback.insert().values(ticket_id=ticket_id, rating="bad", comment=words, source="link", at=now)
        )
        conn.execute(grades.insert().values(ticket_id=ticket_id, kind="answered", note=words, graded_at=now))
    engine.dispose()


def test_erase_leaves_no_trace_of_the_person_and_the_chains_verify(ran: Settings) -> None:
    maya, jonas = _values(MAYA), _values(JONAS)
    databases = {ran.resolved_database_url, ran.resolved_system_database_url}
    _people_wrote_about(ran.resolved_database_url, MAYA["email"], f"{MAYA['name']} on {MAYA['phone']}")
    before = set().union(*(_found_in_database(u, maya) for u in databases))
    assert before == set(maya), "the search finds what is there"

    done = erase_customer(ran, MAYA["email"].upper(), (MAYA["name"], MAYA["phone"]))

    assert (done.tickets, done.conversations, done.files_still_holding) == (2, 1, ())
    assert done.workflows_deleted >= 2
    for url in databases:
        assert _found_in_database(url, maya) == set(), url
    assert checkpoints_holding(ran.resolved_system_database_url, maya) == {}
    assert checkpoints_holding(ran.resolved_system_database_url, jonas), "another customer's data stays"
    assert _found_in_database(ran.resolved_database_url, jonas) == set(jonas)
    intact, broken = verify_chains(ran)
    assert broken is None, str(broken)
    assert {v.table: v.erased > 0 for v in intact}["audit_log"]


def test_the_commands_print_what_they_did(tmp_path: Path, settings: Settings) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "ticketflow.toml").write_text(
        f'database_url = "{settings.resolved_database_url}"\n'
        f'system_database_url = "{settings.resolved_system_database_url}"\n'
        f'data_dir = "{tmp_path / "ws-var"}"\n',
        encoding="utf-8",
    )
    store = SqlStore.open(settings.resolved_database_url)
    store.tickets.accept(
        InboundMessage("chat", "cli-1", CustomerRef(email=MAYA["email"], id=MAYA["id"]), "Hi", None, "t-cli")
    )
    store.close()
    runner = CliRunner()

    erased = runner.invoke(app, ["erase", "--customer", MAYA["id"], "--workspace", str(workspace)])
    applied = runner.invoke(app, ["retention", "apply", "--workspace", str(workspace)])

    assert erased.exit_code == 0, erased.output
    assert erased.stdout.startswith("erased: 1 tickets, 1 conversations, 1 audit details")
    assert applied.exit_code == 0, applied.output
    assert "messages: 0 tickets redacted" in applied.stdout
