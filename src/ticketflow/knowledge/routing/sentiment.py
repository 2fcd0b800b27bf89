"""VADER (``vaderSentiment``, MIT): a maintained, rule-based sentiment lexicon attuned to social-media text.

It ships its lexicon inside the package, so it works offline; it knows negation ("not good"), intensifiers
("very"), capitals and exclamation marks. Routing combines its polarity with our own service-failure rules
(``pipeline/tone.py``), which catch complaints that carry no negative word ("still waiting since Monday").
The lexicon is read on the first :meth:`VaderLexicon.polarity`, not when the engine is built.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


class VaderLexicon:
    """A ``SentimentLexicon``: VADER's compound score."""

    def __init__(self) -> None:
        self._analyzer: SentimentIntensityAnalyzer | None = None
        self._lock = threading.Lock()

    def _ready(self) -> SentimentIntensityAnalyzer:
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                    self._analyzer = SentimentIntensityAnalyzer()
        return self._analyzer

    def polarity(self, text: str) -> float:
        return float(self._ready().polarity_scores(text)["compound"])
