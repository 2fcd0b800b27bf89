"""Names in a message written without capitals ("hi its jessica parker, my order…").

Chat customers often type in lower case, and a named-entity model trained on edited text finds almost no
names there. In a text with no capital letter at all, a word is read as a given name when it is on the US
Census Bureau's list of given names (``given_names.txt``), the model's tagger reads it as a proper noun, it
is no English stop word and the model does not place it inside a place or a company; the word after it
joins it as the surname when the tagger reads that as a proper noun too. Texts that capitalise are left to
the model and the cues: there, a capital letter is the better sign.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc


# The model's other labels (PRODUCT, WORK_OF_ART, NORP…) are noise on uncased text: it calls a lower-case
# first name a product as readily as a name.
_PLACES_AND_COMPANIES = frozenset({"GPE", "LOC", "FAC", "ORG"})


@functools.cache
def given_names() -> frozenset[str]:
    """The lower-cased given names, read once."""
    lines = resources.files("ticketflow.privacy").joinpath("given_names.txt").read_text("utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def uncased_names(doc: Doc) -> list[tuple[int, int]]:
    """Character spans of the names in ``doc`` when its text has no capital letter; none otherwise."""
    text = doc.text
    if any(c.isupper() for c in text):
        return []
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
