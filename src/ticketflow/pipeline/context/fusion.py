"""Several rankings of the same documents made into one: ordered by reciprocal rank, scored by agreement.

Order: a document's fused rank comes from Σ 1 / (``k`` + its rank) over the rankings that hold it
(Cormack et al., 2009; ``k`` = 60 as there), so no ranking's score scale has to be matched to another's.

Score: reciprocal-rank sums barely separate the documents every ranking holds (ranks 1 and 2 of two rankings
give 0.99 of the best possible, ranks 10 and 10 give 0.87), so they make a poor cut for "is this passage worth
its tokens". A fused passage's ``score`` is instead its agreement: the mean over the rankings of its score
divided by that ranking's best (0 where a ranking does not hold it). 1.0 when it leads every ranking, 0.5 when
it leads one of two and the other does not know it. The context stage's relative cut reads this score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ticketflow.domain.context import Passage

RRF_K = 60


def fuse(rankings: Sequence[Sequence[Passage]], k: int = RRF_K) -> list[Passage]:
    """One passage per document, best reciprocal-rank sum first (ties: first seen first).

    The passage kept for a document is the one from the first ranking that holds it, with ``score`` set to
    its agreement (see the module doc) and ``lexical`` to the best word-overlap score any ranking gave it.
    """
    reciprocal: dict[str, float] = {}
    agreement: dict[str, float] = {}
    chosen: dict[str, Passage] = {}
    lexical: dict[str, float] = {}
    for ranking in rankings:
        best = max((p.score for p in ranking), default=0.0)
        for rank, passage in enumerate(ranking, start=1):
            doc = passage.source_id
            reciprocal[doc] = reciprocal.get(doc, 0.0) + 1.0 / (k + rank)
            share = passage.score / best if best > 0 else 0.0
            agreement[doc] = agreement.get(doc, 0.0) + share / len(rankings)
            chosen.setdefault(doc, passage)
            lexical[doc] = max(lexical.get(doc, 0.0), passage.word_score)
    order = sorted(reciprocal, key=lambda d: -reciprocal[d])  # stable: first seen first on ties
    return [replace(chosen[d], score=round(agreement[d], 6), lexical=lexical[d]) for d in order]
