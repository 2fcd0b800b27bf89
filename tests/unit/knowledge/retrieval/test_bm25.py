"""Tests for ticketflow.knowledge.retrieval.bm25.Bm25Index: passage search and policy selection by intent."""

from __future__ import annotations

from pathlib import Path

from ticketflow.domain.context import PolicyQuote
from ticketflow.knowledge.retrieval.bm25 import Bm25Index
from ticketflow.knowledge.retrieval.chunking import Chunk

CHUNKS = [
    Chunk("shipping", "Shipping", "Express", "Express delivery arrives in 1-2 business days.", "kb", ()),
    Chunk("returns", "Returns", "", "Items can be returned within 30 days for a refund.", "policy", ()),
    Chunk(
        "payments", "Payment methods", "Cards", "We accept Visa, Mastercard and PayPal at checkout.", "kb", ()
    ),
    Chunk(
        "account", "Your account", "Passwords", "Reset a forgotten password from the sign-in page.", "kb", ()
    ),
]
REFUNDS = PolicyQuote("refunds", "Refund policy", "Refunds within 5 days.")
SHIPPING = PolicyQuote("shipping-policy", "Shipping policy", "We ship to the EU and US.")
TERMS = PolicyQuote("terms", "Terms", "General terms.")


def _index() -> Bm25Index:
    policies = [
        (TERMS, ("get_refund", "track_order", "delivery_options")),
        (REFUNDS, ("get_refund",)),
        (SHIPPING, ("track_order", "delivery_options")),
    ]
    return Bm25Index(CHUNKS, policies)


def test_search_puts_the_matching_passage_first_with_title_and_heading() -> None:
    passages = _index().search("which cards do you accept, paypal?", k=3)

    assert passages[0].source_id == "payments"
    assert passages[0].title == "Payment methods — Cards"
    assert passages[0].text == "We accept Visa, Mastercard and PayPal at checkout."
    assert passages[0].kind == "kb"
    assert passages[0].score > 0
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_chunk_without_heading_is_titled_by_its_document() -> None:
    passages = _index().search("return items for a refund", k=1)

    assert [(p.source_id, p.title, p.kind) for p in passages] == [("returns", "Returns", "policy")]


def test_search_returns_at_most_k_and_only_matching_passages() -> None:
    index = _index()

    assert len(index) == 4
    assert len(index.search("password", k=10)) == 1
    assert index.search("zebra xylophone", k=3) == []
    assert index.search("   ", k=3) == []


def test_empty_index_finds_nothing() -> None:
    index = Bm25Index([], [])

    assert len(index) == 0
    assert index.search("refund", k=3) == []


def test_policies_for_intent_most_specific_first() -> None:
    index = _index()

    assert index.policies_for("get_refund") == [REFUNDS, TERMS]
    assert index.policies_for("track_order") == [SHIPPING, TERMS]
    assert index.policies_for("cancel_order") == []
    assert index.policies_for(None) == []


REFUND = ("get_refund",)


def _article_chunks() -> list[Chunk]:
    return [
        Chunk(
            "returns",
            "Returns",
            "Window",
            "Return any item within 30 days of delivery.",
            "kb",
            ("get_refund",),
        ),
        Chunk(
            "returns",
            "Returns",
            "Labels",
            "Print the return label from the order page.",
            "kb",
            ("get_refund",),
        ),
        Chunk("tracking", "Tracking", "", "The order page shows the return of your parcel too.", "kb", ()),
        Chunk("gifts", "Gift cards", "", "Gift cards never expire.", "kb", ("check_payment_methods",)),
    ]


def test_search_returns_one_passage_per_article() -> None:
    index = Bm25Index(_article_chunks(), [])

    passages = index.search("return label order page return", k=3)

    ids = [p.source_id for p in passages]
    assert ids[0] == "returns"
    assert len(ids) == len(set(ids)) == 2


def test_front_matter_intents_are_searchable_as_words() -> None:
    index = Bm25Index(_article_chunks(), [])

    (hit,) = index.search("payment methods", k=1)

    assert hit.source_id == "gifts"


def test_stored_index_is_reused_and_rebuilt_when_an_article_changes(tmp_path: Path) -> None:
    chunks = _article_chunks()
    first = Bm25Index(chunks, [], cache_dir=tmp_path)
    again = Bm25Index(chunks, [], cache_dir=tmp_path)
    changed = [*chunks[:3], Chunk("gifts", "Gift cards", "", "Gift cards expire after 3 years.", "kb", ())]
    rebuilt = Bm25Index(changed, [], cache_dir=tmp_path)

    assert first.loaded_from is None
    assert again.loaded_from == tmp_path / f"bm25-{first.digest}"
    assert again.search("label", k=1) == first.search("label", k=1)
    assert rebuilt.loaded_from is None
    assert rebuilt.digest != first.digest
    assert [p.name for p in tmp_path.glob("bm25-*")] == [f"bm25-{rebuilt.digest}"]
    assert "3 years" in rebuilt.search("gift cards expire", k=1)[0].text


def _billing_chunks() -> list[Chunk]:
    return [
        Chunk(
            "invoices",
            "Invoices",
            "Download",
            "Open the order in Account > Orders, select Download PDF.",
            "kb",
            (),
        ),
        Chunk("invoices", "Invoices", "Corrections", "We reissue a corrected PDF within 2 days.", "kb", ()),
        Chunk("tracking", "Tracking", "", "The order page shows where your parcel is.", "kb", ()),
        Chunk("gifts", "Gift cards", "", "Gift cards never expire.", "kb", ()),
    ]


def test_an_article_is_found_through_the_questions_it_answers() -> None:
    asked = {"invoices": ["where can I get a receipt for my purchase", "I need a receipt for taxes"]}
    plain = Bm25Index(_billing_chunks(), [])
    expanded = Bm25Index(_billing_chunks(), [], questions=asked)

    (hit,) = expanded.search("receipt please", k=1)

    assert plain.search("receipt please", k=1) == []  # "receipt" is in no article
    assert hit.source_id == "invoices"
    assert hit.text == "Open the order in Account > Orders, select Download PDF."  # the article's own text
    assert hit.score > 0


def test_questions_lift_their_article_above_an_equal_text_match() -> None:
    asked = {"tracking": ["has my order shipped yet", "parcel not arrived where is it"]}
    query = "has my order shipped"

    plain = [p.source_id for p in Bm25Index(_billing_chunks(), []).search(query, k=2)]
    expanded = [p.source_id for p in Bm25Index(_billing_chunks(), [], questions=asked).search(query, k=2)]

    assert plain[0] == "invoices"  # "order" twice in its text, "shipped" in no article
    assert expanded[0] == "tracking"
    assert sorted(expanded) == sorted(plain)


def test_questions_of_unknown_documents_or_with_no_weight_change_nothing() -> None:
    query = "download the order pdf"
    plain = Bm25Index(_billing_chunks(), []).search(query, k=3)

    unknown = Bm25Index(_billing_chunks(), [], questions={"nowhere": ["download the order pdf"]})
    unweighted = Bm25Index(
        _billing_chunks(), [], questions={"gifts": ["download the order pdf"]}, question_weight=0.0
    )

    assert unknown.search(query, k=3) == plain
    assert unweighted.search(query, k=3) == plain
