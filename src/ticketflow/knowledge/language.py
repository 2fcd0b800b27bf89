"""Language detection with lingua (``lingua-language-detector``: its models ship inside the package).

Detection is restricted to a candidate set (the workspace's served languages plus ``[languages]
candidates``): fewer languages are told apart faster and more accurately. lingua's minimum relative
distance makes it answer None when two candidates are too close to call, which short messages ("ok",
"thx") often are; routing then treats the message as written in a served language. By default lingua's
low-accuracy models (trigrams only: they load in well under a second where the full models take tens of
seconds on a busy machine) screen each message and the full models confirm a foreign one
(``benchmarks/language.py``); ``[languages] accuracy = "high"`` reads every message with the full models.
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
_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\S+@\S+|\b[A-Z]{2,}-?\d+\b|\S{25,}")
"""Links, handles, hashtags, email addresses, ids and long unbroken strings (base64, hashes): no language
in them (``@JetBlue`` reads as Dutch, a base64 blob as Swedish)."""


class LinguaDetector:
    """A ``LanguageDetector``: ``detect(text)`` is an ISO 639-1 code among ``languages``, or None.

    With ``accuracy = "low"`` lingua's trigram models screen every message and a message they find in a
    language outside ``trusted`` (the served ones) is read again by the full models, loaded the first
    time one is needed: the fast models alone call about 3% of Bitext's English messages Swedish or
    French, the full ones none. ``"high"`` reads every message with the full models.
    """

    def __init__(
        self, languages: Iterable[str], *, accuracy: str = "low", trusted: Iterable[str] = ("en",)
    ) -> None:
        self.languages = tuple(dict.fromkeys(code.strip().lower() for code in languages))
        self.accuracy = accuracy
        self.trusted = frozenset(code.strip().lower() for code in trusted)
        if len(self.languages) < 2:
            raise ConfigError("[languages]: detection needs at least two candidate languages")
        self._detectors: dict[bool, Any] = {}
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

    def _built(self, fast: bool) -> Any:
        if fast not in self._detectors:
            with self._lock:
                if fast not in self._detectors:
                    from lingua import LanguageDetectorBuilder

                    builder = LanguageDetectorBuilder.from_iso_codes_639_1(
                        *self._codes()
                    ).with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
                    if fast:
                        builder = builder.with_low_accuracy_mode()
                    self._detectors[fast] = builder.build()
        return self._detectors[fast]

    @staticmethod
    def _read(detector: Any, text: str) -> str | None:
        found = detector.detect_language_of(text)
        return None if found is None else str(found.iso_code_639_1.name).lower()

    def detect(self, text: str) -> str | None:
        """The language of ``text`` (ISO 639-1, lower case), or None when too short or too close to call."""
        text = _NOT_WORDS.sub(" ", text)
        if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
            return None
        if self.accuracy == "high":
            return self._read(self._built(False), text)
        screened = self._read(self._built(True), text)
        if screened is None or screened in self.trusted:
            return screened
        return self._read(self._built(False), text)
