"""Tests for knowledge.retrieval.articles.ArticleRanker: whole articles by words, phrases and meaning.

The meaning half runs on a toy encoder (a text's vector counts the "meanings" its words name), so these tests
need no torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ticketflow.knowledge.retrieval.articles import ArticleRanker, article_text, phrase_terms
from ticketflow.knowledge.retrieval.chunking import Chunk

MEANINGS = {"abroad": 0, "travel": 0, "trip": 0, "overseas": 0, "card": 1, "lost": 2, "stolen": 2}


class MeaningEncoder:
    """An ``Encode``: unit-length counts of the meanings a text's words name (zero when it names none)."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += texts
        rows = np.zeros((len(texts), 1 + max(MEANINGS.values())))
        for row, text in zip(rows, texts, strict=True):
            for word in re.findall(r"[a-z]+", text.lower()):
                if word in MEANINGS:
                    row[MEANINGS[word]] += 1
            norm = np.linalg.norm(row)
            if norm:
                row /= norm
        return rows


ARTICLES = {
    "saver-fees": ("Harbour Saver account fees", "The monthly fee is waived with a direct deposit."),
    "scattered": (
        "Account colours",
        "Saver is our classic account. A harbour fee applies to paper statements. Fees are listed online.",
    ),
    "travel": ("Using your card overseas", "Tell us before a trip: no foreign transaction charges."),
    "lost": ("Lost or stolen card", "Freeze it in the app and order a replacement."),
}


def _ranker(encode: MeaningEncoder | None = None, cache_dir: Path | None = None) -> ArticleRanker:
    texts = {d: article_text(title, body) for d, (title, body) in ARTICLES.items()}
    first = {d: Chunk(d, title, "", body, "kb", ()) for d, (title, body) in ARTICLES.items()}
    return ArticleRanker(texts, first, encode, cache_dir=cache_dir, model="toy")


def test_adjacent_words_are_also_one_phrase_term() -> None:
    [terms] = phrase_terms(["Fees on the Harbour Saver account"])

    assert terms == ["fee", "harbour", "saver", "account", "fee harbour", "harbour saver", "saver account"]


def test_a_product_named_as_a_phrase_beats_the_same_words_scattered() -> None:
    ranked = _ranker().rank("what fees apply to my harbour saver account?", k=4)

    assert [p.source_id for p in ranked][:2] == ["saver-fees", "scattered"]


def test_by_words_only_an_article_sharing_no_word_is_not_ranked_and_the_best_scores_one() -> None:
    ranker = _ranker()
    ranked = ranker.rank("my card was stolen, I am overseas", k=4)

    assert not ranker.dense
    assert [p.source_id for p in ranked] == ["lost", "travel"]  # "card" in both; "stolen" and "overseas"
    assert ranked[0].score == 1.0 and 0 < ranked[1].score < 1
    assert (ranked[0].text, ranked[0].word_score) == (ARTICLES["lost"][1], 0.0), "first chunk, no BM25 claim"


def test_only_articles_above_the_average_for_the_message_are_ranked() -> None:
    # "card" alone is in two articles, "stolen" in one: the other card article is below the average
    assert [p.source_id for p in _ranker().rank("my card was stolen", k=4)] == ["lost"]


def test_with_an_encoder_meaning_finds_an_article_that_shares_no_word() -> None:
    question = "going abroad soon, anything to know?"

    assert [p.source_id for p in _ranker().rank(question, k=4)] == []
    assert [p.source_id for p in _ranker(MeaningEncoder()).rank(question, k=1)] == ["travel"]


def test_words_and_meaning_are_added_as_z_scores_so_agreement_wins_over_one_strong_half() -> None:
    # "lost": the words of the message (stolen, card) and their meaning; "travel": "card" only, and no
    # meaning of loss; "saver-fees": neither
    ranker = _ranker(MeaningEncoder())
    scores = dict(zip(ARTICLES, ranker.scores("stolen card"), strict=True))

    assert max(scores, key=scores.__getitem__) == "lost"
    assert scores["lost"] > scores["travel"] > scores["saver-fees"]
    assert sum(scores.values()) == pytest.approx(0.0, abs=1e-9), "each half is centred on all articles"


def test_the_articles_embeddings_are_stored_and_loaded_by_the_next_ranker(tmp_path: Path) -> None:
    first = MeaningEncoder()
    built = _ranker(first, tmp_path)
    again = MeaningEncoder()
    loaded = _ranker(again, tmp_path)

    assert (built.embedded, built.loaded_from) == (4, None)
    assert loaded.loaded_from is not None and loaded.loaded_from.parent == tmp_path
    assert again.embedded == [] and loaded.embedded == 0, "nothing embedded twice"
    assert [p.source_id for p in loaded.rank("stolen card", 2)] == [
        p.source_id for p in built.rank("stolen card", 2)
    ]


def test_an_empty_message_or_knowledge_base_ranks_nothing() -> None:
    empty = ArticleRanker({}, {})

    assert _ranker().rank("   ", 3) == [] and empty.rank("card", 3) == [] and len(empty) == 0
