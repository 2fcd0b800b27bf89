"""Names found by the US Census Bureau's list of given names (``given_names.txt``), read with the tagger.

Two places where the named-entity model misses names that a person would see at once:

- **A text written without capitals** ("hi its jessica parker, my order…"). Chat customers often type in
  lower case, and a model trained on edited text finds almost no names there. A word is read as a given
  name when it is on the list, the tagger reads it as a proper noun, it is no English stop word and the
  model does not place it inside a place or a company; the word after it joins it as the surname when the
  tagger reads that as a proper noun too.
- **A listed given name before a capitalised word** ("… the invoice from Anna Freeman"): a first name
  and a surname, which the small English model often misses when the surname is foreign to it. Not when a
  number comes before it (a street: "12 Victor Hugo"), when it continues a run of capitalised words in
  mid-sentence (a company or a place: "Bekins Van Lines"), or when a company, street or unit word is part
  of it or follows it ("Reed Inc", "Dora Creek Apt").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ticketflow.privacy.names import NOT_LAST, given_names
from ticketflow.privacy.recognizers import STREET_SUFFIX

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


# The model's other labels (PRODUCT, WORK_OF_ART, NORP…) are noise on uncased text: it calls a lower-case
# first name a product as readily as a name.
_PLACES_AND_COMPANIES = frozenset({"GPE", "LOC", "FAC", "ORG"})
_STREET_WORD = re.compile(rf"{STREET_SUFFIX}\.?", re.IGNORECASE)


def listed_names(doc: Doc) -> list[tuple[int, int]]:
    """Character spans of the names the list finds in ``doc``: see the module's docstring."""
    if any(c.isupper() for c in doc.text):
        return _full_names(doc)
    return _uncased_names(doc)


def _uncased_names(doc: Doc) -> list[tuple[int, int]]:
    names = given_names()
    others = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in _PLACES_AND_COMPANIES]
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(doc):
        token = doc[i]
        start, end = token.idx, token.idx + len(token.text)
        if (
            token.text in names
            and token.pos_ == "PROPN"
            and not token.is_stop
            and not any(a < end and start < b for a, b in others)
        ):
            after = doc[i + 1] if i + 1 < len(doc) else None
            if after is not None and after.pos_ == "PROPN" and not after.is_stop and token.whitespace_ == " ":
                end = after.idx + len(after.text)
                i += 1
            found.append((start, end))
        i += 1
    return found


def _full_names(doc: Doc) -> list[tuple[int, int]]:
    names = given_names()
    found: list[tuple[int, int]] = []
    for i, first in enumerate(doc):
        if not (_titled(first) and first.lower_ in names and not first.is_stop and first.whitespace_ == " "):
            continue
        j = i + 1
        while j < len(doc) and (_titled(doc[j]) or _initial(doc[j])) and doc[j - 1].whitespace_ == " ":
            j += 1
            while _joined(doc, j):  # a double-barrelled surname, which the tokenizer splits
                j += 2
        rest = doc[i + 1 : j]
        if not len(rest) or _initial(rest[-1]) or any(t.is_stop or _company_or_street(t) for t in rest):
            continue
        if j < len(doc) and _company_or_street(doc[j]):
            continue
        if i > 0 and (any(c.isdigit() for c in doc[i - 1].text) or _continues_a_run(doc, i)):
            continue
        found.append((first.idx, rest[-1].idx + len(rest[-1].text)))
    return found


def _titled(token: Token) -> bool:
    text = token.text
    return len(text) > 1 and text.isalpha() and text[0].isupper() and text[1:].islower()


def _joined(doc: Doc, j: int) -> bool:
    """Whether ``doc[j]`` is a hyphen joining the capitalised word before it to the one after it."""
    return (
        j + 1 < len(doc)
        and doc[j].text == "-"
        and not doc[j - 1].whitespace_
        and not doc[j].whitespace_
        and _titled(doc[j + 1])
    )


def _initial(token: Token) -> bool:
    return len(token.text) == 1 and token.text.isupper()


def _company_or_street(token: Token) -> bool:
    return token.lower_.strip(".") in NOT_LAST or bool(_STREET_WORD.fullmatch(token.text))


def _continues_a_run(doc: Doc, i: int) -> bool:
    """Whether the capitalised word before ``doc[i]`` is in mid-sentence (not after a line break or a
    sentence's end), so that the name is the tail of a longer proper noun."""
    before = doc[i - 1]
    if not (_titled(before) or before.text.isupper()):
        return False
    if i == 1:
        return False
    ahead = doc[i - 2]
    return not (ahead.is_punct or "\n" in ahead.text or "\n" in ahead.whitespace_)
