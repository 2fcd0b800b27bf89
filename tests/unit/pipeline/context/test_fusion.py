"""Tests for ticketflow.pipeline.context.fusion: rankings ordered by reciprocal rank, scored by agreement."""

from __future__ import annotations

import pytest

from ticketflow.domain.context import Passage
from ticketflow.pipeline.context.fusion import fuse


def _p(doc: str, score: float, lexical: float | None = None, text: str = "") -> Passage:
    return Passage(doc, doc.title(), text or f"{doc} text", score, lexical=lexical)


def test_the_order_follows_reciprocal_ranks_and_the_score_is_the_mean_share_of_each_rankings_best() -> None:
    bm25 = [_p("a", 8.0), _p("b", 6.0), _p("c", 2.0)]
    questions = [_p("a", 0.8, 0.0), _p("c", 0.6, 0.0), _p("d", 0.2, 0.0)]

    fused = fuse([bm25, questions])

    assert [p.source_id for p in fused] == ["a", "c", "b", "d"]  # c: ranks 3 and 2; b: rank 2 of one
    assert [p.score for p in fused] == pytest.approx([1.0, (0.25 + 0.75) / 2, 0.75 / 2, 0.25 / 2])


def test_the_first_rankings_passage_is_kept_with_the_best_word_evidence() -> None:
    fused = fuse([[_p("a", 9.0, text="bm25 chunk")], [_p("a", 0.8, 0.0, text="first chunk")]])

    [only] = fused
    assert (only.text, only.word_score, only.score) == ("bm25 chunk", 9.0, 1.0)


def test_a_document_only_another_ranking_found_has_no_word_evidence() -> None:
    fused = fuse([[_p("a", 9.0)], [_p("b", 0.8, 0.0)]])

    assert [(p.source_id, p.word_score, p.score) for p in fused] == [("a", 9.0, 0.5), ("b", 0.0, 0.5)]


def test_nothing_to_fuse_is_nothing() -> None:
    assert fuse([]) == [] and fuse([[], []]) == []
