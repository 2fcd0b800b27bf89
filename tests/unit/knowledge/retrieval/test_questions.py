"""Tests for ticketflow.knowledge.retrieval.questions.NearestQuestions and knowledge.vectors.TfidfRows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ticketflow.knowledge.retrieval.chunking import Chunk
from ticketflow.knowledge.retrieval.questions import NearestQuestions
from ticketflow.knowledge.vectors import TfidfRows

FIRST = {
    "refunds": Chunk("refunds", "Refund status", "", "Refunds reach your card in 5 days.", "kb", ()),
    "tracking": Chunk("tracking", "Track your order", "Links", "Use the tracking link.", "kb", ()),
    "gifts": Chunk("gifts", "Gift cards", "", "Gift cards never expire.", "kb", ()),
}
QUESTIONS = {
    "refunds": ["where is my reimbursement", "has my refund been paid", "status of my reimbursement"],
    "tracking": ["where is my parcel", "has my order shipped", "tracking number please", "parcel is late"],
    "gifts": ["do gift cards expire"],
    "unknown-doc": ["ignored: no chunk"],
}


def test_the_article_whose_questions_are_nearest_comes_first_with_its_first_chunk() -> None:
    ranker = NearestQuestions(QUESTIONS, FIRST)

    ranked = ranker.rank("any news on my reimbursement status?", k=2)

    assert [p.source_id for p in ranked][:1] == ["refunds"]
    assert ranked[0].text == FIRST["refunds"].text and ranked[0].word_score == 0.0
    assert len(ranker) == 3, "a document without a chunk is left out"


def test_an_article_scores_the_mean_of_its_closest_questions_so_one_stray_phrasing_weighs_less() -> None:
    one = NearestQuestions(
        {"a": ["my parcel is late"], "b": ["my parcel is late", "x y z", "q r s"]},
        {
            "a": FIRST["tracking"],
            "b": FIRST["gifts"],
        },
    )

    [a, b] = one.rank("my parcel is late", k=2)

    assert (a.source_id, round(a.score, 6)) == ("a", 1.0)
    assert b.source_id == "b" and b.score == pytest.approx(1 / 3, abs=0.05)


def test_words_no_question_uses_and_empty_input_find_nothing() -> None:
    ranker = NearestQuestions(QUESTIONS, FIRST)
    assert ranker.rank("", k=3) == [] and ranker.rank("where", k=0) == []
    assert NearestQuestions({}, FIRST).rank("where is my parcel", k=3) == []


def test_tfidf_rows_give_scikit_learns_cosines() -> None:
    texts = ["where is my parcel", "has my refund been paid", "gift cards never expire"]
    rows, _ = TfidfRows.fit_rows(texts, (TfidfVectorizer(sublinear_tf=True),))
    reference = normalize(TfidfVectorizer(sublinear_tf=True).fit(texts).transform(["my parcel, my refund"]))

    columns, values = rows.row("my parcel, my refund")
    mine = np.zeros(rows.width)
    mine[columns] = values

    assert np.allclose(mine, reference.toarray().ravel())


def test_rows_fitted_in_one_pass_equal_rows_made_one_at_a_time() -> None:
    texts = ["where is my parcel", "has my refund been paid", "gift cards never expire"]
    vectorizers = (
        TfidfVectorizer(sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
    )
    rows, fitted = TfidfRows.fit_rows(texts, vectorizers)

    for n, text in enumerate(texts):
        columns, values = rows.row(text)
        one = np.zeros(rows.width)
        one[columns] = values
        assert np.allclose(fitted[n].toarray().ravel(), one)
