"""Tests for ticketflow.pipeline.fusion: reciprocal rank fusion of passage rankings."""

from __future__ import annotations

import pytest

from ticketflow.domain.context import Passage
from ticketflow.pipeline.fusion import RRF_K, fuse


def _p(doc: str, score: float, lexical: float | None = None, text: str = "") -> Passage:
    return Passage(doc, doc.title(), text or f"{doc} text", score, lexical=lexical)


def test_a_document_first_in_every_ranking_scores_one_and_the_order_follows_the_sums() -> None:
    bm25 = [_p("a", 9.0), _p("b", 5.0), _p("c", 1.0)]
    questions = [_p("a", 0.8, 0.0), _p("c", 0.7, 0.0), _p("d", 0.2, 0.0)]

    fused = fuse([bm25, questions])

    assert [p.source_id for p in fused] == ["a", "c", "b", "d"]
    assert fused[0].score == 1.0
    expected_c = (1 / (RRF_K + 3) + 1 / (RRF_K + 2)) / (2 / (RRF_K + 1))
    assert fused[1].score == pytest.approx(expected_c, abs=1e-6)


def test_the_first_rankings_passage_is_kept_with_the_best_word_evidence() -> None:
    fused = fuse([[_p("a", 9.0, text="bm25 chunk")], [_p("a", 0.8, 0.0, text="first chunk")]])

    [only] = fused
    assert (only.text, only.word_score) == ("bm25 chunk", 9.0)


def test_a_document_only_another_ranking_found_has_no_word_evidence() -> None:
    fused = fuse([[_p("a", 9.0)], [_p("b", 0.8, 0.0)]])

    assert [(p.source_id, p.word_score) for p in fused] == [("a", 9.0), ("b", 0.0)]
    assert fused[0].score == fused[1].score == pytest.approx(0.5, abs=1e-6)


def test_nothing_to_fuse_is_nothing() -> None:
    assert fuse([]) == [] and fuse([[], []]) == []
