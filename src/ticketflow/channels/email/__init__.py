"""The email channel: parse and thread inbound mail, refuse loops, reply over SMTP, take mail in, poll IMAP.

One concern per module: :mod:`.parse` (bytes to the customer's new text), :mod:`.threading` (which
conversation), :mod:`.loops` (what never gets an answer), :mod:`.outbound` (the reply and its SMTP
delivery), :mod:`.channel` (the ``Channel`` port), :mod:`.smtp_intake` (the SMTP server), :mod:`.imap`
(mailbox polling) and :mod:`.settings_model` (``[channels.email]``).
"""

from ticketflow.channels.email.channel import EmailChannel, MailSender
from ticketflow.channels.email.imap import Checkpoint, Fetched, Polled, poll
from ticketflow.channels.email.loops import ReplyRateLimit
from ticketflow.channels.email.outbound import SmtpSender, SmtpTarget
from ticketflow.channels.email.settings_model import EmailSettings, ImapSettings
from ticketflow.channels.email.smtp_intake import SmtpIntake

__all__ = [
    "Checkpoint",
    "EmailChannel",
    "EmailSettings",
    "Fetched",
    "ImapSettings",
    "MailSender",
    "Polled",
    "ReplyRateLimit",
    "SmtpIntake",
    "SmtpSender",
    "SmtpTarget",
    "poll",
]
