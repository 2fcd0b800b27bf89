"""``SlackNotifier``: an alert event as a Slack incoming-webhook message (``FACTS-channels.md`` §6).

``POST <webhook URL>`` with ``Content-Type: application/json;charset=utf-8`` and ``{"text", "blocks"}``:
``text`` is the fallback notifications show, ``blocks`` the message itself. Webhooks report errors through
the HTTP status; the body of an answer is not relied on. The URL is a secret, read from the environment.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ticketflow.channels.notifiers._http import post
from ticketflow.domain.alerts import AlertEvent

EMOJI = {"fired": {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}}


def message(event: AlertEvent) -> dict[str, Any]:
    """The webhook body for ``event``."""
    mark = EMOJI.get(event.kind, {}).get(event.severity, ":white_check_mark:")
    state = "FIRING" if event.kind == "fired" else "RESOLVED"
    value = "no value" if event.value is None else f"{event.value:.4g}"
    fields = [
        {"type": "mrkdwn", "text": f"*Rule*\n{event.rule}"},
        {"type": "mrkdwn", "text": f"*Severity*\n{event.severity}"},
        {"type": "mrkdwn", "text": f"*Value*\n{value} (threshold {event.threshold:g})"},
        {"type": "mrkdwn", "text": f"*Firing*\n#{event.seq} at {event.at:%Y-%m-%d %H:%M:%S} UTC"},
    ]
    return {
        "text": f"[{state}] {event.summary}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{mark} *[{state}]* {event.summary}"}},
            {"type": "section", "fields": fields},
        ],
    }


class SlackNotifier:
    """Posts events to one incoming webhook."""

    name = "slack"

    def __init__(
        self, webhook_url: str, *, timeout_s: float = 10.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._url = webhook_url
        self._timeout = timeout_s
        self._transport = transport

    def __repr__(self) -> str:
        return "SlackNotifier(webhook_url=***)"

    def send(self, event: AlertEvent) -> None:
        """Post the event; raises ``ChannelUnavailable`` (retry) or ``DeliveryRefused``."""
        body = json.dumps(message(event), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json;charset=utf-8"}
        post(
            self._url,
            body,
            headers,
            name="the Slack webhook",
            timeout_s=self._timeout,
            transport=self._transport,
        )
