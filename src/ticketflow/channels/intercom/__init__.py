"""The Intercom channel: signed webhooks in, conversation parts out, search polling as the fallback.

Wire facts: ``/work/shared/FACTS-channels.md`` §2 (mirrored in the module docstrings). Build it with
``IntercomChannel(IntercomSettings(admin_id=...))``; the access token and webhook key come from the
environment variables the settings name.
"""

from ticketflow.channels.intercom.channel import IntercomChannel
from ticketflow.channels.intercom.poll import PollCursor, PollResult
from ticketflow.channels.intercom.settings_model import ACCESS_TOKEN_ENV, WEBHOOK_SECRET_ENV, IntercomSettings
from ticketflow.channels.intercom.webhook import SIGNATURE_HEADER, signature

__all__ = [
    "ACCESS_TOKEN_ENV",
    "SIGNATURE_HEADER",
    "WEBHOOK_SECRET_ENV",
    "IntercomChannel",
    "IntercomSettings",
    "PollCursor",
    "PollResult",
    "signature",
]
