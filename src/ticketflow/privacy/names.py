"""Names found by where support messages put them, in several languages.

A customer introduces themself ("my name is", "je m'appelle", "me llamo", "меня зовут", "我叫"), is greeted
("Dear", "Hallo", "Bonjour", "Hola", "Здравствуйте") or signs off ("Regards,", "Grüße", "Cordialement",
"Saludos", "С уважением", "谢谢") and is addressed with a title ("Mr", "Herr", "Mme", "Sra.", "г-н"). The
name is the run of capitalised words after the cue, with name particles between them ("van der", "de la",
"von", "O'", "al-"). :func:`expand` then grows any name found (by a cue or by the model) over a following
surname, and over the other one-word items of a list that holds a name ("Anna, Jonas and Lea").
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from ticketflow.domain.pii import PiiSpan

_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŹŻŽА-ЯЁΑ-Ω"
_LOW = r"[^\W\d_]"
# O'Connor, McKay, Jean-Luc, Müller, al-Rashid, D'Angelo
_PART = rf"(?:(?:[OoDd]['’]|al-|el-)?[{_UP}]{_LOW}*(?:['’-][{_UP}]?{_LOW}+)?|[{_UP}]\.)"
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|dos|das|du|le|la|bin|ibn|ben|zu|ter|ten)"
_NAME = rf"{_PART}(?:[ ](?:{_PARTICLE}[ ]){{0,2}}{_PART}){{0,3}}"
_HAN = r"[\u4e00-\u9fff]"

_INTRO = (
    r"my name is|my name's|name is|call me|i am|i'm|this is|it's|"
    r"ich heiße|ich heisse|mein name ist|hier (?:ist|spricht)|je m'appelle|je m’appelle|mon nom est|"
    r"ici|c'est|me llamo|mi nombre es|soy|mi chiamo|il mio nome è|sono|chamo-me|meu nome é|"
    r"меня зовут|моё имя|мое имя|это"
)
_GREETING = (
    r"dear|hi|hello|hey|good (?:morning|afternoon|evening)|hallo|liebe|lieber|guten tag|"
    r"bonjour|salut|cher|chère|hola|estimado|estimada|buenos días|ciao|caro|cara|olá|"
    r"здравствуйте|привет|уважаемый|уважаемая|добрый день"
)
_SIGN_OFF = (
    r"regards|kind regards|best regards|best wishes|best|thanks|thank you|many thanks|cheers|sincerely|"
    r"yours|yours truly|cordially|"
    r"mit freundlichen grüßen|mit freundlichen grüssen|viele grüße|liebe grüße|grüße|grüsse|gruß|danke|"
    r"cordialement|bien à vous|bien cordialement|merci|amitiés|"
    r"saludos|un saludo|atentamente|saludos cordiales|gracias|"
    r"distinti saluti|cordiali saluti|saluti|grazie|atenciosamente|obrigad[oa]|"
    r"с уважением|спасибо|всего доброго"
)
_TITLE = (
    r"mr|mrs|ms|miss|mx|dr|prof|sir|madam|herr|frau|m|mme|mlle|monsieur|madame|sr|sra|srta|señor|señora|"
    r"don|doña|sig|sig\.ra|signor|signora|г-н|г-жа|господин|госпожа"
)
# Words a cue is often followed by that are no name ("Hi Team", "I'm Sorry", "This is Urgent").
_NOT_NAME = frozenset(
    [
        "team",
        "all",
        "everyone",
        "there",
        "support",
        "sir",
        "madam",
        "guys",
        "folks",
        "friends",
        "customer",
        "service",
        "sorry",
        "not",
        "so",
        "very",
        "just",
        "still",
        "really",
        "here",
        "writing",
        "looking",
        "trying",
        "interested",
        "glad",
        "happy",
        "afraid",
        "new",
        "the",
        "a",
        "an",
        "and",
        "or",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "from",
        "my",
        "our",
        "your",
        "his",
        "her",
        "this",
        "that",
        "it",
        "is",
        "urgent",
        "again",
        "okay",
        "ok",
        "yes",
        "no",
        "please",
        "thanks",
        "hope",
        "good",
        "great",
        "kunde",
        "kundin",
        "client",
        "cliente",
        "клиент",
    ]
) | frozenset(_TITLE.replace("\\.", ".").split("|"))
# A "name" ending in one of these is a company ("Junar Inc") or an address part ("Lacroix Apt").
NOT_LAST = frozenset(
    [
        "inc",
        "ltd",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "srl",
        "bv",
        "nv",
        "corp",
        "co",
        "company",
        "partners",
        "group",
        "apt",
        "suite",
        "po",
        "box",
    ]
)

_CUES = [
    # "my name is Ana", "me llamo ana": after an introduction a lower-case name counts too
    re.compile(rf"(?i:\b(?:{_INTRO}))[ ]+(?P<name>{_NAME})"),
    re.compile(rf"(?i:(?:^|(?<=[\s,.!]))(?:{_GREETING}))[ ,]+(?P<name>{_NAME})(?=\s*[,!:\n]|\s*$)"),
    re.compile(rf"(?i:\b(?:{_TITLE}))\.?[ ]+(?P<name>{_NAME})"),
    re.compile(
        rf"(?i:(?:^|\n)[ \t]*(?:{_SIGN_OFF}))[ \t]*[,!.]?[ \t]*"
        rf"(?:\n[ \t]*|[ \t]+|-[ \t]*)(?P<name>{_NAME})[ \t]*(?:\n|$)"
    ),
    re.compile(rf"(?:我叫|我的名字是|我是|我姓)(?P<name>{_HAN}{{2,3}})"),
    re.compile(rf"(?P<name>{_HAN}{{1,2}})(?=先生|女士|小姐)"),
    re.compile(rf"(?:меня зовут|моё имя|мое имя)[ ]+(?P<name>{_LOW}+(?:[ ]{_LOW}+)?)", re.IGNORECASE),
    re.compile(
        r"(?i:\b(?:my name is|me llamo|je m'appelle|ich heiße))[ ]+(?P<name>[a-zà-ÿ]+(?:[ ][a-zà-ÿ]+)?)\b"
    ),
]


@functools.cache
def given_names() -> frozenset[str]:
    """The US Census Bureau's given names (``given_names.txt``), lower-cased, read once."""
    lines = resources.files("ticketflow.privacy").joinpath("given_names.txt").read_text("utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def cued_names(text: str) -> list[tuple[int, int]]:
    """Spans of names that follow an introduction, greeting, title or sign-off cue in ``text``."""
    found: list[tuple[int, int]] = []
    for pattern in _CUES:
        for m in pattern.finditer(text):
            words = m["name"].split()
            while words and words[-1].lower().strip(".") in _NOT_NAME:
                words.pop()
            if not words or words[0].lower().strip(".") in _NOT_NAME:
                continue
            start = m.start("name")
            found.append((start, start + len(" ".join(words))))
    return found


_SURNAME = re.compile(rf"[ ](?:{_PARTICLE}[ ]){{0,2}}{_PART}")
_ITEM = rf"(?:{_PART}|[a-zà-ÿ]+)"
_LIST = re.compile(rf"{_ITEM}(?:,[ ]{_ITEM}){{2,}},?[ ](?:and|und|et|y|e|и|or)[ ]{_ITEM}\b")


_GREETING_WORDS = frozenset(re.sub(r"\(\?:|\)", "", _GREETING).replace("|", " ").split()) | frozenset(
    ["herren", "damen", "tag", "день", "утро", "вечер"]
)


def _plausible(text: str, span: PiiSpan) -> PiiSpan | None:
    """``span`` less greeting and title words at its edges, or None when what is left is no name: a
    lower-case word in a text that capitalises (the English model reads "reçu ma commande" as a name).
    """
    words = list(re.finditer(r"\S+", text[span.start : span.end]))

    def junk(w: re.Match[str]) -> bool:
        word = w.group().lower().strip(".,:!")
        return word in _NOT_NAME or word in _GREETING_WORDS

    while words and junk(words[0]):
        words.pop(0)
    while words and junk(words[-1]):
        words.pop()
    if not words or all(re.fullmatch(_PARTICLE, w.group()) for w in words):
        return None
    cased = any(ch.isupper() for ch in text)
    for w in words:
        word = w.group()
        if cased and word[0].islower() and not re.fullmatch(rf"{_PARTICLE}|(?:al|el)-.*|[od]['’].*", word):
            return None
    start, end = span.start + words[0].start(), span.start + words[-1].end()
    return span if (start, end) == (span.start, span.end) else PiiSpan(span.type, start, end, span.score)


def expand(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """``spans`` with each PERSON grown over a following capitalised surname, plus the other items of any
    list of single words ("A, B, C and D") of which one item is a PERSON already.
    """
    out: list[PiiSpan] = []
    for span in spans:
        if span.type == "PERSON":
            kept = _plausible(text, span)
            if kept is None or text[kept.start : kept.end].split()[-1].lower().strip(".,") in NOT_LAST:
                continue
            span = kept
        if span.type == "PERSON" and span.end - span.start <= 40:
            end = span.end
            while (m := _SURNAME.match(text, end)) and m.group().strip().lower() not in _NOT_NAME:
                end = m.end()
                if end - span.start > 60:
                    break
            span = PiiSpan(span.type, span.start, end, span.score)
        out.append(span)
    persons = [s for s in out if s.type == "PERSON"]
    for m in _LIST.finditer(text):
        items = [
            (i.start(), i.end())
            for i in re.finditer(r"[^\s,]+", m.group())
            if i.group() not in {"and", "und", "et", "y", "e", "и", "or"}
        ]
        items = [(m.start() + a, m.start() + b) for a, b in items]
        if any(p.start <= a and b <= p.end for p in persons for a, b in items):
            for a, b in items:
                if not any(s.start < b and a < s.end for s in out):
                    out.append(PiiSpan("PERSON", a, b, 0.6))
    return out
