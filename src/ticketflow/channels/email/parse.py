"""Raw RFC 5322 bytes to the customer's words: decoded whatever the charset, HTML made readable, quotes cut.

Mail arrives in every shape: text/plain, HTML only, multipart/alternative, attachments, charsets that are
mislabelled or unknown. :func:`read` never crashes on any of them (bad bytes become U+FFFD) and returns a
:class:`Mail` whose ``text`` is the *new* part of the message only: quoted replies, attribution lines,
signatures and disclaimers are stripped with mail-parser-reply in every language it knows. That cleaned text
is what is stored, so a thread's history never brings old quotes back into a prompt.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from mailparser_reply.parser import EmailMessage as MailBody
from mailparser_reply.parser import EmailReply as MailReply

LANGUAGES = ("en", "de", "cs", "da", "es", "fr", "it", "ja", "ko", "nl", "pl", "sv", "zh")
"""Every language mail-parser-reply 1.36 knows: a support inbox gets replies from anywhere."""

MAX_TEXT_CHARS = 100_000
"""The longest text kept (the API's limit too); also bounds the work of the quote-stripping regexes."""

_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|antw(?:ort)?|sv|vs|wg|fwd?|tr|rif|r|odp|res|enc|回复|答复|转发)"
    r"(?:\[\d+\]|\(\d+\))?\s*[:：])+\s*",
    re.IGNORECASE,
)
"""Reply and forward prefixes in many languages ("Re:", "AW:", "Fwd:", "SV:", "WG:", "回复：", "Re[2]:")."""

_PARAGRAPHS = frozenset(
    ["blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "pre", "table", "ul"]
)
"""Elements set off by a blank line."""
_LINES = frozenset(
    {"address", "article", "aside", "dd", "div", "dt", "fieldset", "figcaption", "figure", "footer"}
    | {"form", "header", "li", "main", "nav", "section", "tr"}
)
"""Elements on a line of their own (a ``<div>`` per line is how Gmail and Outlook write plain text)."""
_LINE, _PARAGRAPH = "\x00", "\x01"
_BREAK_RUN = re.compile(r"[\x00\x01\n \t]*[\x00\x01][\x00\x01\n \t]*")
_INVISIBLE = ("script", "style", "head", "title", "noscript", "template", "object", "iframe")
_SPACE_RUN = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_RUN = re.compile(r"\n{3,}")
_QUOTED = re.compile(r"^\s*>")
_SENT_FROM = re.compile(
    r"^(?:Sent from my|Get Outlook for|Von meinem|Envoyé de mon|Enviado desde mi|Verstuurd vanaf mijn|"
    r"Inviato da|Skickat från min|Wysłane z|Wysłano z|发自我的)[^\n]{0,40}$|^[^\n]{1,30}から送信$",
    re.MULTILINE | re.IGNORECASE,
)
"""Mobile clients' sign-off lines, in the languages of the chains (the library knows only some)."""
_SEPARATOR = re.compile(r"^-{3,}[^-]{3,40}-{3,}$")
_ATTRIBUTION = re.compile(r"(?:@|\d{4}).*[:：]\s*$")
"""An attribution line ("On <date>, <name> <address> wrote:"): ends in a colon, names an address or a year."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that came with the mail: recorded so a reply can mention it, its content never passed on."""

    name: str | None
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class Mail:
    """One decoded message: who sent it, its display subject, its new text and what was attached."""

    message: EmailMessage = field(repr=False, compare=False)
    sender: str | None
    """The ``From`` address, lower-cased (None when the header has no usable address)."""
    subject: str
    """The subject without ``Re:``/``AW:``/``Fwd:`` prefixes (empty when there is none)."""
    text: str
    """The new part of the message: quotes, signatures and disclaimers removed; attachments listed."""
    full_text: str
    """The whole readable body, quotes included (for audits and the quote benchmark)."""
    attachments: tuple[Attachment, ...] = ()


def decode(raw: bytes) -> EmailMessage:
    """The message object of ``raw`` under ``policy.default`` (structured headers, ``get_body``)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage objects
    return message


def read(raw: bytes) -> Mail:
    """Everything the channel needs from ``raw``, without ever raising on its content."""
    message = decode(raw)
    full = body_text(message)
    found = attachments(message)
    text = strip_quotes(full)
    if found:
        listed = "\n".join(_describe(a) for a in found)
        text = f"{text}\n\n{listed}" if text else listed
    return Mail(
        message=message,
        sender=sender(message),
        subject=display_subject(header(message, "subject") or ""),
        text=text,
        full_text=full,
        attachments=found,
    )


def header(message: Message, name: str) -> str | None:
    """A header's decoded value; a header that the policy cannot parse falls back to its raw text."""
    try:
        value = message.get(name)
    except Exception:
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    return None if value is None else str(value).strip()


def sender(message: Message) -> str | None:
    """The address in ``From`` (the first one), lower-cased; None when there is no usable address."""
    value = header(message, "from")
    if not value:
        return None
    for _, address in email.utils.getaddresses([value]):
        if "@" in address and not any(c.isspace() for c in address):
            return address.lower()
    return None


def display_subject(subject: str) -> str:
    """``subject`` without its reply and forward prefixes, however many are stacked."""
    return _PREFIX.sub("", " ".join(subject.split())).strip()


def body_text(message: EmailMessage) -> str:
    """The readable body: text/plain when there is one, else the HTML converted to text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = decode_part(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return _tidy(text)


def decode_part(part: Message) -> str:
    """A text part's content decoded from its transfer encoding and charset, bad bytes replaced.

    Mislabelled mail is common: ``us-ascii`` that is really UTF-8, ``iso-8859-1`` that is really
    windows-1252 (browsers decode that label as windows-1252 too), or a charset nobody knows. Each gets the
    most likely reading rather than an exception.
    """
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else str(part.get_payload()).encode("utf-8", "replace")
    charset = _codec(part.get_content_charset())
    if charset == "ascii" or charset is None:
        return _guess(data)
    if charset == "latin_1":
        charset = "cp1252"
    return data.decode(charset, errors="replace")


def _codec(label: str | None) -> str | None:
    """The Python codec name of a charset label, None when absent or unknown."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip('"')).name.replace("-", "_").replace("iso8859_1", "latin_1")
    except LookupError:
        return None


def _guess(data: bytes) -> str:
    """Undeclared or unknown charset: UTF-8 when the bytes are valid UTF-8, else windows-1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: block elements on their own lines, scripts and styles dropped.

    ``<blockquote>`` content is prefixed with ``> `` per level, as a text mail quotes it, so the quote
    stripper recognises the quoted part of HTML-only replies (Gmail, Apple Mail and Outlook quote that way).
    """
    from bs4 import BeautifulSoup  # only HTML mail pays for it, and ticketflow.settings imports this module
    from bs4.element import NavigableString, Tag

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_INVISIBLE):
        tag.decompose()
    for string in soup.find_all(string=True):
        if isinstance(string, NavigableString) and string.find_parent("pre") is None:
            string.replace_with(_SPACE_RUN.sub(" ", string.replace("\r", " ").replace("\n", " ")))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all([*_PARAGRAPHS, *_LINES]):
        if isinstance(tag, Tag):
            mark = _PARAGRAPH if tag.name in _PARAGRAPHS else _LINE
            tag.insert_before(mark)
            tag.insert_after(mark)
    # innermost first, so a quote inside a quote gets two markers
    for quote in reversed(soup.find_all("blockquote")):
        if isinstance(quote, Tag):
            lines = [line.strip() for line in _breaks(quote.get_text()).split("\n")]
            quoted = "\n".join(f"> {line}".rstrip() for line in lines if line)
            quote.replace_with(f"{_PARAGRAPH}{quoted}{_PARAGRAPH}")
    return _tidy(_breaks(soup.get_text()))


def _breaks(text: str) -> str:
    """Element boundaries to newlines: one for a line element, a blank line for a paragraph, ``<br>`` kept."""

    def newlines(run: re.Match[str]) -> str:
        found = run.group()
        count = found.count("\n") + 1
        if _PARAGRAPH in found:
            count = max(count, 2)
        return "\n" * min(count, 2)

    return _BREAK_RUN.sub(newlines, text)


def strip_quotes(text: str) -> str:
    """The new part of a reply: mail-parser-reply's newest reply without signature and disclaimer.

    Three repairs on top of the library, each measured by ``benchmarks/quotes.py``: a signature that holds
    a disclaimer is cut where it starts (the library removes the disclaimer first, then no longer finds the
    signature); mobile "sent from" lines the library does not know ("Von meinem iPhone gesendet",
    "iPhoneから送信", ...) end the text; and a quote the library did not recognise (Gmail's Spanish, Dutch,
    Polish and Chinese attribution lines) is dropped when it is the trailing run of ``>`` lines, with the
    attribution line just above it. Hyphen lists ("- 2x blue mug") are kept, not taken for signatures.
    An empty result falls back to the whole text: a message that is all quote is answered whole.
    """
    text = text[:MAX_TEXT_CHARS]
    replies = MailBody(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read().replies
    newest = _body(replies[0]) if replies else ""
    mobile = _SENT_FROM.search(newest)
    if mobile and mobile.start() > 0:
        newest = newest[: mobile.start()]
    lines = newest.split("\n")
    while lines and (not lines[0].strip() or _QUOTED.match(lines[0])):
        lines.pop(0)
    quoted = False
    while lines and (not lines[-1].strip() or _QUOTED.match(lines[-1])):
        quoted = quoted or bool(_QUOTED.match(lines.pop()))
    if quoted and lines and _ATTRIBUTION.search(lines[-1]):
        lines.pop()
    while lines and (not lines[-1].strip() or _SEPARATOR.match(lines[-1].strip())):
        lines.pop()  # "-----Ursprüngliche Nachricht-----" and its kin, left above a cut header
    cleaned = _tidy("\n".join(lines))
    return cleaned or _tidy(text)


def _body(reply: MailReply) -> str:
    """The reply's text without its header, signature and disclaimers, cutting at the signature's start."""
    content = str(reply.content)
    if reply.signatures:
        start = content.find(reply.signatures)
        content = content[:start] if start >= 0 else content
    for disclaimer in reply.disclaimers or ():
        content = content.replace(str(disclaimer), "")
    return content.replace(str(reply.headers or ""), "").strip()


def attachments(message: EmailMessage) -> tuple[Attachment, ...]:
    """What was attached (name, type, decoded size), at any depth; the bytes themselves go nowhere.

    A part is an attachment when it says so (``Content-Disposition``), has a file name, or is not text (an
    inline image); an attached message counts as one attachment, its own parts are not listed.
    """
    body = message.get_body(preferencelist=("plain", "html"))
    found: list[Attachment] = []

    def visit(part: Message) -> None:
        if part is not body and _is_attachment(part):
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else len(part.as_bytes())
            found.append(Attachment(part.get_filename(), part.get_content_type(), size))
        elif part.is_multipart():
            for child in part.get_payload():
                if isinstance(child, Message):
                    visit(child)

    visit(message)
    return tuple(found)


def _is_attachment(part: Message) -> bool:
    if part.get_content_type() == "message/rfc822":
        return True
    if part.is_multipart():
        return False
    return (
        part.get_content_disposition() == "attachment"
        or part.get_filename() is not None
        or part.get_content_maintype() != "text"
    )


def _describe(attachment: Attachment) -> str:
    name = attachment.name or "unnamed"
    return f"[attachment: {name} ({attachment.content_type}, {attachment.size} bytes)]"


def _tidy(text: str) -> str:
    """One space between words, no trailing spaces, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()[:MAX_TEXT_CHARS]
