"""Reciprocal rank fusion: several rankings of the same documents made into one.

A document's fused score is Σ 1 / (``k`` + its rank) over the rankings that hold it (Cormack et al., 2009;
``k`` = 60 as there), so no ranking's score scale has to be matched to another's. Scores are divided by the
best possible (first in every ranking), so they lie in (0, 1]: 1.0 when every ranking puts the document first,
about 1/n for a document first in one of n rankings and absent from the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ticketflow.domain.context import Passage

RRF_K = 60


def fuse(rankings: Sequence[Sequence[Passage]], k: int = RRF_K) -> list[Passage]:
    """One passage per document, best fused score first (ties: the earlier ranking's order).

    The passage kept for a document is the one from the first ranking that holds it, with ``score`` replaced
    by the fused score and ``lexical`` set to the best word-overlap score any ranking gave it.
    """
    if not rankings:
        return []
    best = len(rankings) / (k + 1)
    fused: dict[str, float] = {}
    chosen: dict[str, Passage] = {}
    lexical: dict[str, float] = {}
    for ranking in rankings:
        for rank, passage in enumerate(ranking, start=1):
            fused[passage.source_id] = fused.get(passage.source_id, 0.0) + 1.0 / (k + rank)
            chosen.setdefault(passage.source_id, passage)
            lexical[passage.source_id] = max(lexical.get(passage.source_id, 0.0), passage.word_score)
    order = sorted(fused, key=lambda d: -fused[d])  # stable: first-seen order breaks ties
    return [replace(chosen[d], score=round(fused[d] / best, 6), lexical=lexical[d]) for d in order]
