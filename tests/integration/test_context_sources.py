"""The context stage wired from settings: earlier tickets from the store, SQL and HTTP customer sources,
the stored search index, and retrieval quality on Bitext (skipped without the shared datasets)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from support import dataset, free_port
from ticketflow.domain.decision import Route
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Outcome
from ticketflow.evals.records import read_records, ticket_from_record
from ticketflow.evals.retrieval import articles_by_intent, recall_and_rr
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels


def _message(external_id: str, text: str, email: str = "cfoster@example.net") -> InboundMessage:
    return InboundMessage("chat", external_id, CustomerRef(email=email), text)


def test_an_earlier_ticket_about_the_same_thing_is_shown_under_previous_tickets(engine: Engine) -> None:
    first = engine.handle(_message("prev-1", "When will the refund for my returned kettle reach my card?"))
    engine.handle(_message("prev-2", "How do I subscribe to the newsletter?"))
    second = engine.handle(_message("prev-3", "Still no refund for the kettle I returned, any news?"))

    assert second.decision.route is Route.AUTO
    assert second.context is not None
    assert [p.id for p in second.context.previous] == [first.ticket.id]
    assert "PREVIOUS TICKETS:" in second.context.rendered
    assert second.context.customer_fetch is not None
    assert second.context.customer_fetch.found


def test_the_search_index_is_stored_under_var(engine: Engine, settings: Settings) -> None:
    stored = list((settings.var_dir / "index").glob("bm25-*"))

    assert [p.name for p in stored] == [f"bm25-{engine.workspace.index.digest}"]


def test_an_unreachable_crm_hands_off_when_policy_needs_live_facts(
    settings: Settings, store_models: TrainedModels
) -> None:
    url = f"http://127.0.0.1:{free_port()}/customers/{{email}}"
    configured = settings.model_copy(
        update={
            "customers": settings.customers.model_copy(
                update={"source": "http", "url": url, "on_stale": "handoff"}
            )
        }
    )
    engine = Engine.from_workspace(settings=configured, models=store_models)
    try:
        result = engine.handle(
            _message("crm-1", "When will the refund for my returned kettle reach my card?")
        )
    finally:
        engine.close()

    assert result.delivery.outcome is Outcome.ESCALATED
    assert result.delivery.reason == "customer_data_unavailable"
    assert result.context is not None
    assert result.context.customer_fetch is not None
    assert result.context.customer_fetch.error


def test_accounts_can_come_from_a_sql_database_with_mapped_columns(
    settings: Settings, store_models: TrainedModels, tmp_path: Path
) -> None:
    crm = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    db = sa.create_engine(crm)
    with db.begin() as conn:
        conn.execute(sa.text("CREATE TABLE people (pid TEXT, full_name TEXT, email TEXT, tier TEXT)"))
        conn.execute(sa.text("INSERT INTO people VALUES ('P-77', 'Kim Sato', 'kim@example.com', 'premium')"))
    db.dispose()
    section = {
        "source": "sql",
        "url": crm,
        "table": "people",
        "columns": {"id": "pid", "name": "full_name", "plan": "tier"},
    }
    configured = settings.model_copy(update={"customers": settings.customers.model_copy(update=section)})
    engine = Engine.from_workspace(settings=configured, models=store_models)
    try:
        result = engine.handle(
            _message("sql-1", "When will the refund for my returned kettle reach my card?", "kim@example.com")
        )
    finally:
        engine.close()

    assert result.context is not None
    assert result.context.customer is not None
    assert (result.context.customer.id, result.context.customer.plan) == ("P-77", "premium")
    assert "name: Kim Sato" in result.context.rendered
    assert result.context.customer_fetch is not None
    assert result.context.customer_fetch.source == "sql+cache"


@pytest.mark.dataset
def test_bitext_auto_intents_find_a_right_article_in_the_top_three(engine: Engine) -> None:
    records = [r for r in read_records(dataset("bitext/dev.jsonl")) if r.labels.get("route") == "auto"]
    by_intent = articles_by_intent([(a.id, a.intents) for a in engine.workspace.articles])
    hits = []
    for record in records:
        intent = str(record.labels["intent"])
        ranked = [
            p.source_id for p in engine.pipeline.context.retrieve(ticket_from_record(record).text, intent, 10)
        ]
        hits.append(recall_and_rr(ranked, by_intent[intent])[0])

    # with the routed intent right, the query expansion must find a right article almost always
    assert sum(hits) / len(hits) >= 0.9
