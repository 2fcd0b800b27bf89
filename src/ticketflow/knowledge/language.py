"""Language detection with lingua (``lingua-language-detector``: its models ship inside the package).

Detection is restricted to a candidate set (the workspace's served languages plus ``[languages]
candidates``): fewer languages are told apart faster and more accurately. lingua's minimum relative
distance makes it answer None when two candidates are too close to call, which short messages ("ok",
"thx") often are; routing then treats the message as written in the workspace's first served language.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

from ticketflow.errors import ConfigError

MIN_RELATIVE_DISTANCE = 0.25
"""lingua's own guidance for short texts: below it the two best languages are too close to call."""
MIN_LETTERS = 12
"""Fewer letters than this (``ok``, ``thx!``) are not enough to tell a language: None."""
_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\S+@\S+|\b[A-Z]{2,}-?\d+\b")
"""Links, handles, hashtags, email addresses and ids: no language in them (``@JetBlue`` reads as Dutch)."""


class LinguaDetector:
    """A ``LanguageDetector``: ``detect(text)`` is an ISO 639-1 code among ``languages``, or None."""

    def __init__(self, languages: Iterable[str]) -> None:
        self.languages = tuple(dict.fromkeys(code.strip().lower() for code in languages))
        if len(self.languages) < 2:
            raise ConfigError("[languages]: detection needs at least two candidate languages")
        self._detector: Any = None
        self._lock = threading.Lock()
        self._codes()  # unknown codes fail at start-up, naming the setting

    def _codes(self) -> list[Any]:
        from lingua import IsoCode639_1

        codes = []
        for code in self.languages:
            try:
                codes.append(IsoCode639_1.from_str(code))
            except ValueError as exc:
                raise ConfigError(f"[languages]: {code!r} is not an ISO 639-1 code lingua knows") from exc
        return codes

    def _built(self) -> Any:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from lingua import LanguageDetectorBuilder

                    self._detector = (
                        LanguageDetectorBuilder.from_iso_codes_639_1(*self._codes())
                        .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
                        .build()
                    )
        return self._detector

    def detect(self, text: str) -> str | None:
        """The language of ``text`` (ISO 639-1, lower case), or None when too short or too close to call."""
        text = _NOT_WORDS.sub(" ", text)
        if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
            return None
        found = self._built().detect_language_of(text)
        return None if found is None else str(found.iso_code_639_1.name).lower()
