"""Mail that must never be answered: auto-replies, bounces, mailing lists, our own messages.

Two auto-responders answering each other loop forever, and a reply to a bounce or a list reaches nobody
who asked. :func:`noise` checks the signals RFC 3834, RFC 3464, RFC 2919 and the big mail systems use
(``FACTS-channels.md`` §5.5, §5.6) and names the one it found, so an ignored mail says why.
:class:`ReplyRateLimit` is the last guard, for responders that set none of those headers: a sender who
gets more than N replies an hour gets no more until the hour has passed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message

from ticketflow.channels.email.parse import header, sender
from ticketflow.ports.channel import Author

_PRECEDENCE = frozenset({"bulk", "junk", "list"})
_SUPPRESS = frozenset({"dr", "autoreply", "all"})
_LIST_HEADERS = ("list-id", "list-unsubscribe", "feedback-id")
_AUTO_HEADERS = ("x-autoreply", "x-autorespond")
_ROBOTS = ("mailer-daemon", "listserv", "majordomo")
_REPORTS = frozenset({"delivery-status", "disposition-notification"})
_NULL = frozenset({"", "<>"})


@dataclass(frozen=True, slots=True)
class Noise:
    """Why a mail is not answered: who sent it (``SYSTEM``, or ``US`` for our own) and the signal seen."""

    author: Author
    reason: str


def noise(message: Message, *, envelope_from: str | None = None, own: Iterable[str] = ()) -> Noise | None:
    """The first signal that ``message`` is not a person writing to us; None for a customer's mail.

    ``envelope_from`` is the SMTP ``MAIL FROM`` when the intake saw it (None when unknown, ``""`` for the
    null sender of a bounce); ``own`` our addresses, so an echo of our own reply is recognised.
    """
    ours = {address.lower() for address in own}
    author = sender(message)
    if author is not None and author in ours:
        return Noise(Author.US, f"from: our own address {author}")
    for check in (_report, _null_sender, _auto_submitted, _precedence, _suppress, _lists, _auto, _mailer):
        reason = check(message, envelope_from)
        if reason:
            return Noise(Author.SYSTEM, reason)
    reason = _robot(author)
    return Noise(Author.SYSTEM, reason) if reason else None


def _report(message: Message, envelope_from: str | None) -> str | None:
    report = message.get_param("report-type", header="content-type")
    kind = report.lower() if isinstance(report, str) else None
    if message.get_content_type() == "multipart/report" and kind in _REPORTS:
        return f"report: {kind}"
    return None


def _null_sender(message: Message, envelope_from: str | None) -> str | None:
    if envelope_from is not None and envelope_from.strip() in _NULL:
        return "envelope sender: null (a bounce or an automatic notice)"
    return_path = header(message, "return-path")
    if return_path is not None and return_path.strip() in _NULL:
        return "return-path: null (a bounce or an automatic notice)"
    return None


def _auto_submitted(message: Message, envelope_from: str | None) -> str | None:
    value = header(message, "auto-submitted")
    keyword = (value or "").split(";")[0].strip().lower()
    return f"auto-submitted: {keyword}" if value is not None and keyword != "no" else None


def _precedence(message: Message, envelope_from: str | None) -> str | None:
    value = (header(message, "precedence") or "").strip().lower()
    return f"precedence: {value}" if value in _PRECEDENCE else None


def _suppress(message: Message, envelope_from: str | None) -> str | None:
    value = header(message, "x-auto-response-suppress")
    kinds = {kind.strip().lower() for kind in (value or "").split(",")}
    hit = sorted(kinds & _SUPPRESS)
    return f"x-auto-response-suppress: {value}" if hit else None


def _lists(message: Message, envelope_from: str | None) -> str | None:
    for name in _LIST_HEADERS:
        if header(message, name) is not None:
            return f"{name}: a mailing list or bulk sender"
    return None


def _auto(message: Message, envelope_from: str | None) -> str | None:
    for name in _AUTO_HEADERS:
        if header(message, name) is not None:
            return f"{name}: an automatic reply"
    return None


def _mailer(message: Message, envelope_from: str | None) -> str | None:
    value = (header(message, "x-mailer") or "").lower()
    return "x-mailer: vacation" if "vacation" in value else None


def _robot(address: str | None) -> str | None:
    """Programs by convention: MAILER-DAEMON@, LISTSERV@, MAJORDOMO@, *-request@, owner-*@."""
    if address is None:
        return None
    local = address.rsplit("@", 1)[0]
    if local in _ROBOTS or local.endswith("-request") or local.startswith("owner-"):
        return f"sender: {address} (a mail robot)"
    return None


class ReplyRateLimit:
    """At most ``per_hour`` replies to one sender in any hour (RFC 3834's advice to auto-responders).

    The sender asks :meth:`allows` before sending and calls :meth:`record` after a successful send, so a
    failed attempt does not use up the sender's allowance. The clock is injected (seconds, monotonic).
    """

    WINDOW = 3600.0

    def __init__(self, per_hour: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_hour < 1:
            raise ValueError("per_hour must be at least 1")
        self.per_hour = per_hour
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}

    def allows(self, address: str) -> bool:
        """Whether one more reply to ``address`` stays within the limit."""
        return len(self._recent(address.lower())) < self.per_hour

    def record(self, address: str) -> None:
        """Count a reply sent to ``address`` now."""
        self._recent(address.lower()).append(self._clock())
        if len(self._sent) > 10_000:  # bound memory: forget senders with nothing in the window
            for key in [k for k, times in self._sent.items() if not self._recent(k)]:
                del self._sent[key]

    def _recent(self, address: str) -> deque[float]:
        times = self._sent.setdefault(address, deque())
        cutoff = self._clock() - self.WINDOW
        while times and times[0] <= cutoff:
            times.popleft()
        return times
