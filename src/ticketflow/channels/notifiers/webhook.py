"""``WebhookNotifier``: an alert event POSTed as JSON to any URL, signed with HMAC-SHA256.

The same scheme as the API channel's outbound webhook (``channels.api_webhook``), so one receiver checks
both with ``verify_webhook``:

- ``X-Ticketflow-Timestamp``: unix seconds when it was signed (refuse one more than 5 minutes off);
- ``X-Ticketflow-Signature``: ``sha256=`` + hex HMAC-SHA256(secret, timestamp + ``"."`` + raw body);
- ``X-Ticketflow-Idempotency-Key``: ``alert:{rule}:{seq}:{kind}``, the same on every attempt at one event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from ticketflow.channels.api_webhook import IDEMPOTENCY, SIGNATURE, TIMESTAMP, sign
from ticketflow.channels.notifiers._http import post
from ticketflow.domain.alerts import AlertEvent


def payload(event: AlertEvent) -> dict[str, Any]:
    """The JSON body: the event's fields, ``at`` in ISO 8601."""
    return {
        "type": f"alert.{event.kind}",
        "rule": event.rule,
        "seq": event.seq,
        "metric": event.metric,
        "value": event.value,
        "threshold": event.threshold,
        "severity": event.severity,
        "summary": event.summary,
        "at": event.at.isoformat(),
        "idempotency_key": event.key,
    }


class WebhookNotifier:
    """Posts signed events to one URL."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = url
        self._secret = secret
        self._timeout = timeout_s
        self._clock = clock
        self._transport = transport

    def __repr__(self) -> str:
        return f"WebhookNotifier(url={self._url!r}, secret=***)"

    def send(self, event: AlertEvent) -> None:
        """Post the event, signed now; raises ``ChannelUnavailable`` (retry) or ``DeliveryRefused``."""
        body = json.dumps(payload(event), separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP: timestamp,
            SIGNATURE: sign(self._secret, timestamp, body),
            IDEMPOTENCY: event.key,
        }
        post(
            self._url,
            body,
            headers,
            name="the alert webhook",
            timeout_s=self._timeout,
            transport=self._transport,
        )
