"""Tests for knowledge.workspace.loader: loading a workspace folder, and the voice's banned phrases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ticketflow.domain.message import CustomerRef
from ticketflow.errors import ConfigError
from ticketflow.knowledge.workspace.loader import article_questions, load_workspace, read_voice

STORE = Path(__file__).resolve().parents[4] / "examples" / "store"


def test_sample_store_loads_with_policies_articles_rules_and_customers() -> None:
    ws = load_workspace(STORE)

    assert ws.root == STORE
    assert ws.policies
    assert ws.articles
    assert len(ws.index) >= len(ws.articles)
    assert ws.rules.canned
    assert len(ws.customers) > 0
    assert ws.voice.banned_phrases
    assert ws.examples_path == STORE / "examples.jsonl"


def test_sample_store_index_finds_passages_and_policies_by_intent() -> None:
    ws = load_workspace(STORE)
    intent = next(i for doc in ws.policies for i in doc.intents)

    passages = ws.index.search("how do I reset my password", k=3)

    assert passages
    assert any("password" in p.text.lower() for p in passages)
    assert ws.index.policies_for(intent)


def _tiny_workspace(root: Path) -> None:
    (root / "policies").mkdir(parents=True)
    (root / "kb").mkdir()
    (root / "policies" / "returns.md").write_text(
        "---\nid: returns\ntitle: Returns\nintents: [get_refund]\n---\nReturn items within 30 days.\n"
    )
    (root / "kb" / "tracking.md").write_text(
        "---\ntitle: Tracking\n---\n# Where is my parcel\nUse the tracking link in your email.\n"
    )
    (root / "customers.csv").write_text("id,name,email\nC1,Ada Quill,ada@example.com\n")
    (root / "rules.yaml").write_text("canned:\n  track_order:\n    answer: See Account > Orders.\n")
    (root / "voice.md").write_text("Be kind.\n\nBanned phrases:\n- Dear valued customer\n")


def test_tiny_workspace_loads_every_file(tmp_path: Path) -> None:
    _tiny_workspace(tmp_path)

    ws = load_workspace(tmp_path)

    assert [d.id for d in ws.policies] == ["returns"]
    assert [d.id for d in ws.articles] == ["tracking"]
    assert [p.id for p in ws.index.policies_for("get_refund")] == ["returns"]
    assert ws.index.policies_for("get_refund")[0].text == "Return items within 30 days."
    (hit,) = ws.index.search("tracking link parcel", k=1)
    assert (hit.source_id, hit.title, hit.kind) == ("tracking", "Tracking — Where is my parcel", "kb")
    assert ws.rules.canned["track_order"].answer == "See Account > Orders."
    assert ws.customers.lookup(CustomerRef(email="ADA@example.com")) is not None
    assert ws.voice.banned_phrases == ("Dear valued customer",)


def _label(text: str, intent: str | None) -> str:
    labels = {"intent": intent} if intent else {}
    record = {"id": text[:8], "messages": [{"role": "customer", "text": text}], "labels": labels}
    return json.dumps(record) + "\n"


def test_articles_are_found_through_the_labelled_tickets_and_canned_phrasings_of_their_intents(
    tmp_path: Path,
) -> None:
    _tiny_workspace(tmp_path)
    (tmp_path / "kb" / "tracking.md").write_text(
        "---\ntitle: Tracking\nintents: [track_order]\n---\n# Where is my parcel\nUse the tracking link.\n"
    )
    (tmp_path / "rules.yaml").write_text(
        "canned:\n  track_order:\n    answer: See Account > Orders.\n    examples: [has my stuff shipped]\n"
    )
    (tmp_path / "examples.jsonl").write_text(
        _label("my consignment is late", "track_order")
        + _label("refund my kettle", "get_refund")
        + _label("hello there", None)
    )

    (tmp_path / "intents.yaml").write_text("track_order: [is the parcel en route]\nget_refund: [a refund]\n")

    ws = load_workspace(tmp_path)

    assert article_questions(ws.articles, ws.examples, ws.rules, ws.phrasings) == {
        "tracking": ("has my stuff shipped", "is the parcel en route", "my consignment is late")
    }
    assert [p.source_id for p in ws.index.search("consignment", k=1)] == ["tracking"]
    assert [p.source_id for p in ws.index.search("stuff shipped", k=1)] == ["tracking"]
    assert [p.source_id for p in ws.index.search("en route", k=1)] == ["tracking"]


def test_a_malformed_examples_file_is_named_in_the_error(tmp_path: Path) -> None:
    _tiny_workspace(tmp_path)
    (tmp_path / "examples.jsonl").write_text(_label("fine", "track_order") + "{not json\n")

    with pytest.raises(ConfigError, match=r"examples\.jsonl:2: not valid JSON"):
        load_workspace(tmp_path)


def test_missing_workspace_folder_suggests_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist \(try `ticketflow init"):
        load_workspace(tmp_path / "nowhere")


def test_two_documents_with_the_same_id_are_rejected_naming_both(tmp_path: Path) -> None:
    _tiny_workspace(tmp_path)
    (tmp_path / "policies" / "zz-copy.md").write_text("---\nid: returns\n---\nAnother.\n")

    with pytest.raises(ConfigError, match=r"id 'returns' is already used by .*returns\.md") as caught:
        load_workspace(tmp_path)

    assert "zz-copy.md:2:" in str(caught.value)


def test_broken_policy_file_is_named_in_the_error(tmp_path: Path) -> None:
    _tiny_workspace(tmp_path)
    (tmp_path / "policies" / "broken.md").write_text("---\nid: broken\ntitle: x: y: z\n---\nBody\n")

    with pytest.raises(ConfigError, match=r"broken\.md:3: front matter is not valid YAML"):
        load_workspace(tmp_path)


def test_banned_phrases_are_the_bullets_under_the_header_without_quotes_or_full_stops(tmp_path: Path) -> None:
    path = tmp_path / "voice.md"
    path.write_text(
        "# Voice\n\n- Be warm (a rule, not a banned phrase)\n\nBanned phrases:\n"
        '- "Dear valued customer"\n* We regret to inform you.\n- “As per our policy”\n'
        "Anything after this line ends the list.\n- Not banned\n",
        encoding="utf-8",
    )

    voice = read_voice(path)

    assert voice.banned_phrases == ("Dear valued customer", "We regret to inform you", "As per our policy")
    assert voice.text.startswith("# Voice")


def test_banned_phrases_header_is_case_insensitive_and_blank_lines_do_not_end_the_list(
    tmp_path: Path,
) -> None:
    path = tmp_path / "voice.md"
    path.write_text("BANNED PHRASES\n\n- Kindly do the needful\n\n- Please be advised\n", encoding="utf-8")

    assert read_voice(path).banned_phrases == ("Kindly do the needful", "Please be advised")


def test_absent_voice_file_means_no_voice(tmp_path: Path) -> None:
    voice = read_voice(tmp_path / "voice.md")

    assert voice.text == ""
    assert voice.banned_phrases == ()
