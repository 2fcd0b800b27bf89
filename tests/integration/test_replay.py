"""``ticketflow replay`` on a seeded store: a variant that must change outcomes changes exactly those
tickets, one that changes nothing gives zero differences, and nothing is delivered or stored, on SQLite and
(with ``TICKETFLOW_TEST_DATABASE_URL``) PostgreSQL."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from support import PG_URL, STORE, reset_postgres
from ticketflow.cli import app
from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.evals.replay import replay
from ticketflow.evals.replay_report import ArmSetup, Comparison, compare
from ticketflow.evals.replay_stats import mcnemar_exact
from ticketflow.evals.replay_variants import parse_variants, variant_settings
from ticketflow.evals.seeding import seed_period
from ticketflow.settings import Settings
from ticketflow.storage.conversations import SqlConversations
from ticketflow.storage.replay_source import SqlReplaySource
from ticketflow.storage.repository import SqlStore
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels
from ticketflow.wiring.replay import replay_arms

SINCE = datetime(2026, 11, 2, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=8)
RECORDS = (  # auto, escalate, rule and decline by the store's labels, and three threads with history
    "store-0001", "store-0004", "store-0005", "store-0007", "store-0002", "store-0011",
    "store-0003", "store-0006", "store-oos-01", "store-thread-01", "store-thread-04", "store-thread-13",
)  # fmt: skip
TABLES = ("tickets", "conversations", "messages", "outbox", "reviews", "ledger", "audit_log", "attempts")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@dataclass(frozen=True)
class Seeded:
    overrides: dict[str, Any]
    settings: Settings
    thread: tuple[TicketId, TicketId]
    """Two messages on one live thread: the first was answered before the second arrived."""


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, store_models: TrainedModels
) -> Iterator[Seeded]:
    """One seeded store per backend for the whole module (seeding runs the pipeline, which takes time)."""
    tmp = tmp_path_factory.mktemp("replay")
    if request.param == "postgresql":
        assert PG_URL is not None
        reset_postgres(PG_URL)
        url, system = PG_URL, PG_URL
    else:
        url, system = f"sqlite:///{tmp / 'ticketflow.sqlite'}", f"sqlite:///{tmp / 'dbos.sqlite'}"
    overrides = {"data_dir": tmp / "var", "database_url": url, "system_database_url": system}
    overrides["provider"] = "offline"
    settings = Settings.load(STORE, **overrides)
    engine = Engine.from_workspace(settings=settings, models=store_models)
    try:
        records = [r for r in engine.workspace.examples if r.id in RECORDS]
        assert len(records) == len(RECORDS)
        rng = random.Random(7)
        seed_period(engine, records, start=SINCE, days=6, count=len(records), rng=rng, tag="r")
        thread = []
        for n, text in enumerate(("How do I reset my password?", "Thanks. And what if the link expires?")):
            message = InboundMessage(
                channel="api",
                external_id=f"live-{n}",
                customer=CustomerRef(email="thread@example.com"),
                text=text,
                conversation_ref="live-thread",
                received_at=SINCE + timedelta(days=7, hours=n),
            )
            thread.append(engine.handle(message).ticket.id)
    finally:
        engine.close()
    yield Seeded(overrides, settings, (thread[0], thread[1]))
    if request.param == "postgresql":
        reset_postgres(PG_URL)  # type: ignore[arg-type]


def counts(url: str) -> dict[str, Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            found: dict[str, Any] = {
                t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES
            }
            found["updated"] = conn.execute(sa.text("SELECT max(updated_at) FROM tickets")).scalar()
        return found
    finally:
        engine.dispose()


def run(seeded: Seeded, models: TrainedModels, *variants: str) -> Comparison:
    b = variant_settings(STORE, parse_variants(variants), seeded.overrides)
    with replay_arms(seeded.settings, b, models=models) as arms:
        stored = arms.source.stored_tickets(arms.source.replayable(SINCE, UNTIL))
        done = replay(arms.a, arms.b, stored)
    setups = (ArmSetup("A", (), "offline", "m", "ws"), ArmSetup("B", variants, "offline", "m", "ws"))
    return compare(done, since=SINCE, until=UNTIL, generated_at=UNTIL, arms=setups, resamples=1000)


def by_label(comparison: Comparison) -> dict[str, Any]:
    return {f.label: f for f in comparison.figures}


def test_arm_a_reproduces_what_the_store_recorded_and_a_no_op_variant_changes_nothing(
    seeded: Seeded, store_models: TrainedModels
) -> None:
    before = counts(seeded.settings.resolved_database_url)

    same = run(seeded, store_models, "validation.max_words=200")  # the workspace's own value

    assert same.n == len(RECORDS) + 2
    assert same.stored_agreement == same.n  # replayed with the history and earlier tickets they had
    assert same.changed == ()
    assert same.route_matrix.changed == same.outcome_matrix.changed == 0
    for figure in same.figures:
        assert (figure.diff, figure.low, figure.high) == (0.0, 0.0, 0.0), figure.label
    assert {f.p_value for f in same.figures if f.unit == "rate"} == {1.0}
    assert by_label(same)["cost per ticket"].a > 0  # projected on the configured model
    assert counts(seeded.settings.resolved_database_url) == before  # nothing delivered, queued or ledgered


def test_a_tone_threshold_of_zero_escalates_every_ticket_and_the_report_says_which(
    seeded: Seeded, store_models: TrainedModels
) -> None:
    before = counts(seeded.settings.resolved_database_url)

    result = run(seeded, store_models, "routing.tone_threshold=0.0")

    moved = {t.ticket_id for t in result.changed}
    assert moved  # the seeded store has tickets that were not escalated
    for ticket in result.changed:
        assert ticket.a.route != "escalate" and "route" in ticket.changes
        assert (ticket.b.route, ticket.b.outcome, ticket.b.model_calls) == ("escalate", "escalated", 0)
    escalate = result.route_matrix.labels.index("escalate")
    assert sum(row[escalate] for row in result.route_matrix.counts) == result.n  # every B is escalate
    assert result.route_matrix.changed == len(moved)
    sent = by_label(result)["automated (sent)"]
    assert sent.b == 0.0 and sent.a > 0 and sent.diff == -sent.a
    assert sent.high < 0  # every ticket moved the same way: the interval excludes zero
    assert (sent.only_b, sent.p_value) == (0, mcnemar_exact(sent.only_a or 0, 0))
    assert by_label(result)["cost per ticket"].b == 0.0  # no model call in arm B
    assert counts(seeded.settings.resolved_database_url) == before


def test_replayed_history_stops_where_the_ticket_was_handled(seeded: Seeded) -> None:
    first, second = seeded.thread
    engine = sa.create_engine(seeded.settings.resolved_database_url)
    try:
        source, live = SqlReplaySource(engine), SqlConversations(engine)
        (stored_first, stored_second) = source.stored_tickets([first, second])
        conversation = stored_first.ticket.conversation_id
        assert stored_second.ticket.conversation_id == conversation

        assert stored_first.outcome == "sent"  # so there is a reply to leave out
        assert [t.role for t in live.history(conversation, first, 10)] == ["agent"]  # the live view has it
        assert source.history(conversation, first, 10) == []  # as it stood: before its own reply
        replayed = source.history(conversation, second, 10)
        assert [t.role for t in replayed] == ["customer", "agent"]
        assert replayed[0].text == stored_first.ticket.message.text

        thread = next(i for i in source.replayable(SINCE, UNTIL) if i not in seeded.thread)
        assert source.stored_tickets([TicketId("nope"), thread])[0].ticket.id == thread
    finally:
        engine.dispose()


def test_the_command_writes_json_and_html_and_names_a_bad_variant(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETFLOW_DATABASE_URL", seeded.overrides["database_url"])
    monkeypatch.setenv("TICKETFLOW_DATA_DIR", str(seeded.overrides["data_dir"]))
    runner = CliRunner()
    before = counts(seeded.settings.resolved_database_url)
    common = ["replay", "--since", "2026-11-02", "--until", "2026-11-10", "--workspace", str(STORE)]

    done = runner.invoke(
        app,
        [*common, "--variant", "validation.max_words=20", "--limit", "6", "--seed", "2", "--format", "json"],
    )
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["tickets"] == {"matched": len(RECORDS) + 2, "replayed": 6, "sample": "random"}
    assert data["arms"][1]["variants"] == ["validation.max_words=20"]
    length = next(f for f in data["figures"] if f["label"] == "length failed")
    assert length["a"] == 0.0 and length["only_b"] == len(
        [t for t in data["changed"] if "check:length" in t["changes"]]
    )
    for ticket in data["changed"]:
        assert (
            "length" in ticket["b"]["failed_checks"]
            and ticket["a"]["route"] == ticket["b"]["route"] == "auto"
        )

    html = tmp_path / "replay.html"
    drawn = runner.invoke(app, [*common, "--limit", "3", "--format", "html", "--out", str(html)])
    assert drawn.exit_code == 0, drawn.output
    assert html.read_text().count('src="data:image/png;base64,') == 4

    refused = runner.invoke(app, [*common, "--variant", "routing.unsure_thresold=0.5"])
    assert refused.exit_code == 2
    assert "no setting routing.unsure_thresold" in " ".join(refused.output.split())  # rich wraps lines
    empty = runner.invoke(app, ["replay", "--since", "2020-01-01", "--until", "2020-02-01", "-w", str(STORE)])
    assert empty.exit_code == 2 and "no finished ticket" in " ".join(empty.output.split())
    assert counts(seeded.settings.resolved_database_url) == before


def test_a_cost_cap_stops_the_replay_before_it_could_be_passed(
    seeded: Seeded, store_models: TrainedModels
) -> None:
    # the offline drafter projects what each call would cost, so the cap works the same way as on Claude
    b = variant_settings(STORE, parse_variants(["validation.max_words=20"]), seeded.overrides)
    with replay_arms(seeded.settings, b, models=store_models) as arms:
        stored = arms.source.stored_tickets(arms.source.replayable(SINCE, UNTIL))
        free = replay(arms.a, arms.b, stored)
        costs = [t.a.cost_usd + t.b.cost_usd for t in free.tickets]
        cap = sum(costs) / 2
        capped = replay(arms.a, arms.b, stored, max_cost_usd=cap)
    assert free.stopped is None and len(free.tickets) == len(stored)
    assert capped.stopped is not None and "cost cap" in capped.stopped
    assert 0 < len(capped.tickets) < len(stored)
    spent = [t.a.cost_usd + t.b.cost_usd for t in capped.tickets]
    assert sum(spent[:-1]) <= cap, "every ticket but the last started with the spend under the cap"
    # it stopped because the dearest ticket so far would take the spend past the cap
    assert capped.spent_usd + max(spent) > cap
    setups = (ArmSetup("A", (), "offline", "m", "ws"), ArmSetup("B", (), "offline", "m", "ws"))
    report = compare(capped, since=SINCE, until=UNTIL, generated_at=UNTIL, arms=setups, resamples=200)
    assert capped.stopped in report.notes


def test_a_paid_replay_needs_a_cost_cap_and_keeps_to_it(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ticketflow.testing.fake_anthropic import FakeAnthropic, support_responder
    from ticketflow.testing.server import serve

    monkeypatch.setenv("TICKETFLOW_DATABASE_URL", seeded.overrides["database_url"])
    monkeypatch.setenv("TICKETFLOW_DATA_DIR", str(seeded.overrides["data_dir"]))
    fake = FakeAnthropic(responder=support_responder)
    runner = CliRunner()
    common = ["replay", "--since", "2026-11-02", "--until", "2026-11-10", "-w", str(STORE)]
    with serve(fake.app) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        refused = runner.invoke(app, [*common, "--provider", "anthropic"])
        assert refused.exit_code == 2 and "--max-cost" in " ".join(refused.output.split())
        done = runner.invoke(
            app, [*common, "--provider", "anthropic", "--max-cost", "0.004", "--format", "json"]
        )
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["tickets"]["replayed"] < data["tickets"]["matched"]
    assert any("stopped at the cost cap" in note for note in data["notes"])
    # every answered attempt is a ledger line of its own arm's run, in the daily spend, none on a ticket
    lines = _replay_lines(seeded.overrides["database_url"])
    assert len(lines) == len(fake.message_requests) > 0
    [run_id] = {ledger_id.split(":")[1] for ledger_id, _, _ in lines}
    assert f"replay:{run_id}:<arm>:<ticket>" in " ".join(done.stderr.split())
    for arm in ("A", "B"):
        spent = sum(cost for ledger_id, _, cost in lines if ledger_id.split(":")[2] == arm)
        assert spent == pytest.approx(data["totals"][arm]["cost_usd"], abs=1e-6)
    assert all(not projected for _, projected, _ in lines)
    store = SqlStore.open(seeded.overrides["database_url"])
    try:  # the seeded tickets' own lines are offline projections: today's spend is the replay's alone
        assert store.spent_today() == pytest.approx(sum(cost for _, _, cost in lines), abs=1e-6)
    finally:
        store.close()


def _replay_lines(url: str) -> list[tuple[str, bool, float]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            sql = "SELECT ticket_id, projected, cost_usd FROM ledger WHERE ticket_id LIKE 'replay:%'"
            return [(r[0], bool(r[1]), float(r[2])) for r in conn.execute(sa.text(f"{sql} ORDER BY id"))]
    finally:
        engine.dispose()
