"""The engine in-process: each route end to end, multi-turn context, and broken workspace files."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from support import STORE
from ticketflow.domain.decision import Route
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Outcome
from ticketflow.errors import ConfigError
from ticketflow.knowledge.retrieval.articles import ArticleRanker
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine


def _message(
    external_id: str, text: str, conversation: str | None = None, email: str = "x@example.com"
) -> InboundMessage:
    return InboundMessage("chat", external_id, CustomerRef(email=email), text, conversation_ref=conversation)


def test_a_faq_is_answered_by_its_canned_rule_without_a_model_call(engine: Engine) -> None:
    result = engine.handle(_message("faq-1", "I forgot my password and can't sign in, how do I reset it?"))
    assert result.decision.route is Route.RULE
    assert result.delivery.outcome is Outcome.SENT
    assert result.delivery.body == engine.workspace.rules.canned["recover_password"].answer
    assert result.model_calls == ()
    assert engine.store is not None
    assert engine.store.ledger_for(result.ticket.id) == []


def test_a_refund_demand_is_escalated_with_a_handoff_package(engine: Engine) -> None:
    result = engine.handle(
        _message("esc-1", "The blender arrived broken. I want my money back, refund me please.")
    )
    assert result.delivery.outcome is Outcome.ESCALATED
    assert "refund" in result.decision.reasons
    assert result.delivery.handoff is not None
    assert result.delivery.handoff.reason == "refund"
    assert engine.store is not None
    view = engine.store.ticket_view(result.ticket.id)
    assert view is not None
    assert view["handoff"]["reason"] == "refund"
    assert view["reply"] is None, "an escalated ticket must not reach the customer"


def test_an_answerable_question_is_drafted_checked_sent_and_ledgered(engine: Engine) -> None:
    result = engine.handle(_message("auto-1", "How can I change the delivery address for an order I placed?"))
    assert result.decision.route is Route.AUTO
    assert result.delivery.outcome is Outcome.SENT, result.checks
    assert {c.name for c in result.checks} >= {"length", "grounding", "pii"}
    assert engine.store is not None
    ledger = engine.store.ledger_for(result.ticket.id)
    assert len(ledger) == 1
    assert ledger[0]["projected"] is True
    assert ledger[0]["input_tokens"] > 0 and ledger[0]["cost_usd"] > 0


def test_a_follow_up_brings_the_earlier_messages_with_times_into_the_context(engine: Engine) -> None:
    first = engine.handle(
        _message("t-1", "Where can I see the tracking for my parcel?", conversation="conv-1")
    )
    follow = engine.handle(
        _message("t-2", "I found it, thanks. Can I still change the address?", conversation="conv-1")
    )
    assert [t.text for t in follow.ticket.history][:1] == ["Where can I see the tracking for my parcel?"]
    if follow.context is not None:
        assert "CONVERSATION HISTORY" in follow.context.rendered
        assert "Where can I see the tracking" in follow.context.rendered
    assert first.ticket.conversation_id == follow.ticket.conversation_id


def _broken_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "ws"
    shutil.copytree(STORE, copy, ignore=shutil.ignore_patterns("var"))
    return copy


def test_a_broken_rules_file_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    workspace = _broken_copy(tmp_path)
    rules = workspace / "rules.yaml"
    lines = rules.read_text().splitlines()
    lines.insert(3, "  broken: [unclosed")
    rules.write_text("\n".join(lines))
    with pytest.raises(ConfigError, match=r"rules\.yaml:\d+"):
        Engine.from_workspace(settings=Settings.load(workspace, data_dir=tmp_path / "var"), with_store=False)


def test_a_broken_settings_file_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    workspace = _broken_copy(tmp_path)
    (workspace / "ticketflow.toml").write_text('name = "x"\n[routing\n')
    with pytest.raises(ConfigError, match=r"ticketflow\.toml.*line 2"):
        Settings.load(workspace)


def test_an_unknown_setting_is_named(tmp_path: Path) -> None:
    workspace = _broken_copy(tmp_path)
    (workspace / "ticketflow.toml").write_text("[routing]\nunsure_treshold = 0.4\n")
    with pytest.raises(ConfigError, match="unsure_treshold"):
        Settings.load(workspace)


def test_the_embeddings_ranker_without_the_extra_names_the_setting_to_change(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if not installed
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the encoder sets it; restored after the test
    monkeypatch.setenv("TICKETFLOW_CONTEXT__RANKERS", '["questions", "embeddings"]')
    monkeypatch.setenv("TICKETFLOW_DATA_DIR", str(tmp_path))

    with pytest.raises(
        ConfigError, match=r'context\.rankers = \[\.\.\., "embeddings"\] needs the embeddings'
    ):
        Engine.from_workspace(STORE, with_store=False).pipeline  # noqa: B018 (building is the test)


def test_a_workspace_without_labels_ranks_whole_articles_by_words_alone_when_the_extra_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    unlabelled = _broken_copy(tmp_path)
    (unlabelled / "examples.jsonl").unlink()
    (unlabelled / "intents.yaml").unlink()  # no labels: no intent model, routing names no intent
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if not installed
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the encoder sets it; restored after the test
    monkeypatch.setenv("TICKETFLOW_DATA_DIR", str(tmp_path / "var"))

    context = Engine.from_workspace(unlabelled, with_store=False).pipeline.context
    [articles] = [r for r in context.rankers if isinstance(r, ArticleRanker)]
    assert not articles.dense, "auto without the extra: words and phrases only, and no error"
    assert context.retrieve("where is my parcel?", None), "the articles take part"

    monkeypatch.setenv("TICKETFLOW_CONTEXT__ARTICLE_EMBEDDINGS", "on")
    with pytest.raises(
        ConfigError, match=r'context\.article_embeddings = "on" needs the embeddings extra.*pip install'
    ):
        Engine.from_workspace(unlabelled, with_store=False).pipeline  # noqa: B018 (building is the test)


def test_a_workspace_with_an_intent_model_builds_no_unrouted_rankers(engine: Engine) -> None:
    # its router names an intent on every ticket, so the articles would never be read
    assert not any(isinstance(r, ArticleRanker) for r in engine.pipeline.context.rankers)


def test_a_held_out_engine_neither_trains_on_nor_indexes_the_tickets_left_out(engine: Engine) -> None:
    examples = engine.workspace.examples
    left_out = next(r for r in examples[200:] if r.labels.get("intent"))
    train = [r for r in examples if r.id != left_out.id]
    held = engine.held_out(train)
    assert left_out not in held.workspace.examples and len(held.workspace.examples) == len(examples) - 1
    assert all(left_out.text not in q for qs in held.workspace.questions.values() for q in qs)
    assert any(left_out.text in q for qs in engine.workspace.questions.values() for q in qs)
    assert held.store is engine.store and held.models.intent is not engine.models.intent
