"""The customer's own values on file, found in text whatever its script, case, width or phone spacing.

A name on file as "Müller" is found as "MÜLLER" or "müller", "Ｍüller" (full width) as "Müller": text and
value are compared after Unicode NFKC normalisation and case folding, and each match maps back to the
original characters. Phone numbers are compared by their digits alone, so "+44 20 7946 0970",
"020-7946-0970" and "(020) 7946 0970" are one number: two digit runs match when their last nine digits agree
(a national number without its country code or trunk prefix). Values in scripts written without spaces
(Chinese, Japanese) match inside words; others only as whole words.
"""

from __future__ import annotations

import re
import unicodedata

from ticketflow.domain.pii import PiiSpan

_PHONE_RUN = re.compile(r"\(?\+?\d[\d\s().\-/]{4,}\d")
_SIGNIFICANT = 9


def _fold(text: str) -> tuple[str, list[int]]:
    """``text`` NFKC-normalised and case-folded, and for each folded character the index it came from."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).casefold()
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


def _unspaced(value: str) -> bool:
    """Whether ``value`` is in a script written without spaces between words (CJK, kana, Thai)."""
    return any(
        unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "THAI", "HANGUL")) for ch in value
    )


def _digits(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


def _is_phone(value: str) -> bool:
    shape = re.fullmatch(r"[\d\s().+\-/]+", unicodedata.normalize("NFKC", value))
    return shape is not None and len(_digits(value)) >= 7


def _same_number(a: str, b: str) -> bool:
    if len(a) < _SIGNIFICANT or len(b) < _SIGNIFICANT:
        return a == b
    return a[-_SIGNIFICANT:] == b[-_SIGNIFICANT:]


def known_spans(text: str, known: tuple[str, ...]) -> list[PiiSpan]:
    """Spans of ``text`` holding one of the ``known`` values (type ``KNOWN``); values under 3 characters
    are skipped, since they would match too much.
    """
    spans: list[PiiSpan] = []
    folded, origin = _fold(text)
    phones = [_digits(v) for v in known if _is_phone(v)]
    for value in known:
        if len(value.strip()) < 3 or _is_phone(value):
            continue
        needle, _ = _fold(value.strip())
        edge = "" if _unspaced(needle) else r"(?<!\w)"
        tail = "" if _unspaced(needle) else r"(?!\w)"
        for m in re.finditer(edge + re.escape(needle) + tail, folded):
            spans.append(PiiSpan("KNOWN", origin[m.start()], origin[m.end() - 1] + 1, 1.0))
    for m in _PHONE_RUN.finditer(folded) if phones else ():
        run = _digits(m.group())
        if any(_same_number(run, p) for p in phones):
            spans.append(PiiSpan("KNOWN", origin[m.start()], origin[m.end() - 1] + 1, 1.0))
    return spans
