"""VADER (``vaderSentiment``, MIT): a maintained, rule-based sentiment lexicon attuned to social-media text.

It ships its lexicon inside the package, so it works offline; it knows negation ("not good"), intensifiers
("very"), capitals and exclamation marks. Routing combines its polarity with our own service-failure rules
(``pipeline/tone.py``), which catch complaints that carry no negative word ("still waiting since Monday").
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


class VaderLexicon:
    """A ``SentimentLexicon``: VADER's compound score."""

    def __init__(self) -> None:
        self._analyzer = SentimentIntensityAnalyzer()

    def polarity(self, text: str) -> float:
        return float(self._analyzer.polarity_scores(text)["compound"])
