"""One exported value read as what its field means: a time, tags, the customer's words."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime

from ticketflow.pipeline.intake import normalise, strip_quoted

_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%a, %d %b %Y %H:%M:%S %z",
)
_TAG_SPLIT = re.compile(r"[,;|\s]+")
_HTML = re.compile(r"<(?:p|br|div|span|a|b|i|strong|em|ul|ol|li|table|td|html|body)\b[^>]*>", re.IGNORECASE)
_BLOCKS = ["p", "div", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "blockquote"]
_EPOCH = re.compile(r"\d{9,13}(\.\d+)?")
_QUOTED = re.compile(r"^\s*>|^On .+ wrote:\s*$|^-----Original Message-----", re.MULTILINE)


class ValueProblem(ValueError):
    """A value its field cannot use; the reader adds the file, line and column."""


def parse_time(value: object) -> datetime | None:
    """ISO 8601 (``Z`` allowed), Unix seconds or milliseconds, or a few common export formats."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"not a time: {value!r}")
    if isinstance(value, int | float) or (isinstance(value, str) and _EPOCH.fullmatch(value)):
        seconds = float(value)
        return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, tz=UTC)
    if not isinstance(value, str):
        raise ValueProblem(f"not a time: {value!r}")
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueProblem(f"not a time: {text[:40]!r} (expected ISO 8601 such as 2026-03-01T09:30:00Z)")


def parse_tags(value: object) -> tuple[str, ...]:
    """Tags: a list of names or of ``{"name": …}`` objects, or a text split on commas, semicolons, spaces."""
    if value is None:
        return ()
    if isinstance(value, dict):
        value = value.get("tags", value.get("data", []))
    if isinstance(value, list):
        names = [str(v.get("name", "")) if isinstance(v, dict) else str(v) for v in value]
    else:
        names = _TAG_SPLIT.split(str(value))
    return tuple(dict.fromkeys(n.strip().lower() for n in names if n.strip()))


def as_text(value: object) -> str | None:
    """A scalar as stripped text; None for nothing, an empty text, or a structure (never guessed at)."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def clean_message(text: str | None) -> str:
    """The customer's own words: HTML made text, quoted earlier mail and signatures cut, spaces tidied."""
    if not text:
        return ""
    if _HTML.search(text):
        from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            soup = BeautifulSoup(text, "html.parser")
        for tag in soup.find_all("br"):
            tag.replace_with("\n")
        for tag in soup.find_all(_BLOCKS):
            tag.append("\n")
        text = soup.get_text()
    if _QUOTED.search(text):
        text = strip_quoted(text)
    return normalise(text)


def compose(subject: str | None, body: str) -> str:
    """The subject line before the body unless the body already holds it: what routing reads at run time."""
    subject = normalise(subject or "")
    if subject and subject not in body:
        return f"{subject}\n{body}" if body else subject
    return body
