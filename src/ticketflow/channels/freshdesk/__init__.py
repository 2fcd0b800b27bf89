"""The Freshdesk channel: webhook (shared secret, then the thread read from the API), replies, notes,
handoffs, tags, assignment, and the polling fallback. See ``channel.py`` for the whole picture."""

from ticketflow.channels.freshdesk.channel import FreshdeskChannel
from ticketflow.channels.freshdesk.poll import MAX_PAGES, PollCursor, PollResult
from ticketflow.channels.freshdesk.settings_model import FreshdeskSecrets, FreshdeskSettings
from ticketflow.channels.freshdesk.webhook import BODY_TEMPLATE

__all__ = [
    "BODY_TEMPLATE",
    "MAX_PAGES",
    "FreshdeskChannel",
    "FreshdeskSecrets",
    "FreshdeskSettings",
    "PollCursor",
    "PollResult",
]
