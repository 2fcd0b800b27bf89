"""How far a message is from everything the workspace was taught: a density check for out-of-scope text.

The reference is the workspace's own intent examples (labelled tickets and ``intents.yaml``, without the
``out_of_scope`` ones), as unit-length word and character 3–5-gram TF-IDF rows. A message's *nearness*
is its highest cosine to a reference text. The cut is stated in advance, not fitted to any evaluation
file: the ``quantile`` (2%) of the reference texts' own leave-one-out nearness, i.e. the message is
further from every example than all but 2% of the examples are from their nearest other example. A
confident intent model still says "delivery_period" to an airline's delayed-flight tweet; this says no
example of ours is anywhere near it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ticketflow.knowledge.vectors import TfidfRows

if TYPE_CHECKING:
    from scipy.sparse import csc_matrix, csr_matrix

QUANTILE = 0.02
"""Share of the workspace's own examples that would be called far by the same rule (leave-one-out)."""
_CHUNK = 2000


def _nearest(rows: csr_matrix, reference: csr_matrix, *, skip_self: bool) -> list[float]:
    import numpy as np

    best: list[float] = []
    for start in range(0, rows.shape[0], _CHUNK):
        block = (rows[start : start + _CHUNK] @ reference.T).toarray()
        if skip_self:
            block[np.arange(block.shape[0]), np.arange(start, start + block.shape[0])] = -1.0
        best += [float(v) for v in block.max(axis=1)]
    return best


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """A ``ScopeModel``: ``nearness(text)`` and the ``cut`` below which a message is out of scope."""

    rows: TfidfRows
    reference: csc_matrix
    cut: float
    measure = "nearest example"

    @classmethod
    def fit(cls, texts: Sequence[str], quantile: float = QUANTILE) -> Neighbourhood | None:
        """Fitted on ``texts`` (at least 20, distinct ones); None when there are too few to tell."""
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        unique = list(dict.fromkeys(t.strip() for t in texts if t.strip()))
        if len(unique) < 20:
            return None
        rows, matrix = TfidfRows.fit_rows(
            unique,
            (
                TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
            ),
        )
        own = _nearest(matrix, matrix, skip_self=True)
        return cls(rows, matrix.tocsc(), float(np.quantile(own, quantile)))  # columns sliced per message

    def nearness(self, text: str) -> float:
        """The highest cosine of ``text`` to a reference text (0 when it shares no n-gram with any)."""
        columns, weights = self.rows.row(text)
        if not columns:
            return 0.0
        scores = self.reference[:, columns] @ weights
        return float(scores.max()) if scores.size else 0.0

    def far(self, text: str) -> float | None:
        """``text``'s nearness when it is below the cut (out of scope), else None."""
        near = self.nearness(text)
        return near if near < self.cut else None


class LazyNeighbourhood:
    """A :class:`Neighbourhood` fitted on first use (a few seconds), so start-up does not wait for it."""

    measure = "nearest example"

    def __init__(self, texts: Sequence[str], quantile: float = QUANTILE) -> None:
        self._texts = tuple(texts)
        self._quantile = quantile
        self._fitted: Neighbourhood | None = None
        self._done = False
        self._lock = threading.Lock()

    def _model(self) -> Neighbourhood | None:
        if not self._done:
            with self._lock:
                if not self._done:
                    self._fitted = Neighbourhood.fit(self._texts, self._quantile)
                    self._done = True
        return self._fitted

    @property
    def cut(self) -> float:
        """The nearness below which a message is out of scope (0 when there was too little to fit)."""
        model = self._model()
        return model.cut if model is not None else 0.0

    def far(self, text: str) -> float | None:
        """``text``'s nearness when it is out of scope, else None (always None without a fitted model)."""
        model = self._model()
        return model.far(text) if model is not None else None
