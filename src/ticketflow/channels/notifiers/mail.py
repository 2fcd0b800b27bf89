"""``EmailNotifier``: an alert event as a plain-text mail, sent like the email channel's replies.

It reuses the channel's SMTP sender (``channels.email.outbound``), so the same ``outbound`` URL forms,
credentials from the environment and retry-or-refuse sorting apply. The Message-ID is derived from the
event's key, so a mail sent again after a crash is recognisably the same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime

from ticketflow.channels.email.outbound import SmtpSender, message_id_for
from ticketflow.domain.alerts import AlertEvent


def compose(event: AlertEvent, *, from_address: str, to: Sequence[str]) -> EmailMessage:
    """The mail for ``event``."""
    state = "FIRING" if event.kind == "fired" else "RESOLVED"
    mail = EmailMessage()
    mail["From"] = from_address
    mail["To"] = ", ".join(to)
    mail["Date"] = format_datetime(event.at)
    mail["Message-ID"] = message_id_for(event.key, from_address.rpartition("@")[2] or "ticketflow.invalid")
    mail["Subject"] = f"[{state}] [{event.severity}] {event.rule}"
    mail["Auto-Submitted"] = "auto-generated"
    value = "no value" if event.value is None else f"{event.value:.6g}"
    mail.set_content(
        f"{event.summary}\n\n"
        f"rule:      {event.rule} (firing #{event.seq})\n"
        f"metric:    {event.metric}\n"
        f"value:     {value}\n"
        f"threshold: {event.threshold:g}\n"
        f"severity:  {event.severity}\n"
        f"at:        {event.at.isoformat()}\n",
        subtype="plain",
        charset="utf-8",
    )
    return mail


class EmailNotifier:
    """Mails events to the on-call addresses."""

    name = "email"

    def __init__(self, sender: SmtpSender, *, from_address: str, to: Sequence[str]) -> None:
        self._sender = sender
        self._from = from_address
        self._to = tuple(to)

    def send(self, event: AlertEvent) -> None:
        """Mail the event; raises ``ChannelUnavailable`` (retry) or ``DeliveryRefused``."""
        mail = compose(event, from_address=self._from, to=self._to)
        self._sender.send(mail, envelope_from=self._from, recipients=self._to)
