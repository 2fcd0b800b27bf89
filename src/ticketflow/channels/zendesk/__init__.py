"""The Zendesk channel: webhooks (event and trigger kinds) in, comments, tags and assignments out, polling
as the fallback. Wire facts: ``FACTS-channels.md`` §1 and §4.
"""

from ticketflow.channels.zendesk.channel import ZendeskChannel, package
from ticketflow.channels.zendesk.client import ZendeskClient
from ticketflow.channels.zendesk.poll import PollState, poll_once
from ticketflow.channels.zendesk.settings_model import ZendeskSettings
from ticketflow.channels.zendesk.webhook import TRIGGER_BODY_TEMPLATE, signature

__all__ = [
    "TRIGGER_BODY_TEMPLATE",
    "PollState",
    "ZendeskChannel",
    "ZendeskClient",
    "ZendeskSettings",
    "package",
    "poll_once",
    "signature",
]
