"""Tests for a stored Bm25Index read on its first search (ticketflow.knowledge.retrieval.bm25)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ticketflow.knowledge.retrieval.bm25 import Bm25Index
from ticketflow.knowledge.retrieval.chunking import Chunk

CHUNKS = [
    Chunk(
        "shipping",
        "Shipping",
        "Express",
        "Express delivery arrives in 1-2 business days.",
        "kb",
        ("track_order",),
    ),
    Chunk(
        "payments", "Payment methods", "Cards", "We accept Visa, Mastercard and PayPal at checkout.", "kb", ()
    ),
    Chunk(
        "account", "Your account", "Passwords", "Reset a forgotten password from the sign-in page.", "kb", ()
    ),
]
QUESTIONS = {
    "shipping": ["has my stuff shipped", "where is my parcel"],
    "account": ["locked out of my login"],
}
QUERIES = ["has my stuff shipped yet", "paypal", "locked out", "forgotten password reset"]


def test_a_stored_index_searches_as_the_index_that_was_built(tmp_path: Path) -> None:
    built = Bm25Index(CHUNKS, [], questions=QUESTIONS, cache_dir=tmp_path)
    stored = Bm25Index(CHUNKS, [], questions=QUESTIONS, cache_dir=tmp_path)

    assert stored.loaded_from is not None
    assert [stored.search(q, k=2) for q in QUERIES] == [built.search(q, k=2) for q in QUERIES]


def test_a_stored_index_removed_before_the_first_search_is_built_again(tmp_path: Path) -> None:
    built = Bm25Index(CHUNKS, [], questions=QUESTIONS, cache_dir=tmp_path)
    stored = Bm25Index(CHUNKS, [], questions=QUESTIONS, cache_dir=tmp_path)
    assert stored.loaded_from is not None
    shutil.rmtree(stored.loaded_from)  # another process indexed changed articles and dropped this one

    assert [stored.search(q, k=2) for q in QUERIES] == [built.search(q, k=2) for q in QUERIES]
    assert stored.loaded_from is None
