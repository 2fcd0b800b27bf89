"""The API channel's signed outbound webhook: a reply or holding message, POSTed to the API key's URL.

The body is JSON (``type``, ``ticket_id``, ``conversation_id``, ``external_id``, ``text``,
``idempotency_key``, ``at``), sent with three headers:

- ``X-Ticketflow-Timestamp``: unix seconds when it was signed;
- ``X-Ticketflow-Signature``: ``sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``;
- ``X-Ticketflow-Idempotency-Key``: the same for every attempt at one message, so a receiver drops a repeat.

A receiver checks the signature with :func:`verify_webhook` (or its own copy of it) and refuses an old
timestamp. Transient failures raise ``ChannelUnavailable`` (the durable sender retries), other 4xx
``DeliveryRefused``. The signing secret never appears in a log line or an error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime

from ticketflow.domain.access import WebhookTarget

SIGNATURE = "X-Ticketflow-Signature"
TIMESTAMP = "X-Ticketflow-Timestamp"
IDEMPOTENCY = "X-Ticketflow-Idempotency-Key"
TOLERANCE_S = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Ticketflow-Signature`` value for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_webhook(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None
) -> bool:
    """Whether ``signature`` is ours for ``body`` at ``timestamp``, and the timestamp within five minutes.

    Compared in constant time. Receivers should mirror this: HMAC-SHA256 of ``timestamp + "." + body``
    with the key's webhook secret, hex, prefixed ``sha256=``.
    """
    try:
        signed_at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - signed_at) > TOLERANCE_S:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def post(target: WebhookTarget, payload: dict[str, str | None], idempotency_key: str, at: datetime) -> None:
    """POST ``payload`` to the target, signed; raises the ``RestClient`` errors."""
    import httpx  # here, not at import: every engine has the API channel, few keys have a webhook

    from ticketflow.channels.rest import RestClient

    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(at.timestamp()))
    url = httpx.URL(target.url)
    root = f"{url.scheme}://{url.netloc.decode()}"
    path = url.raw_path.decode() or "/"
    client = RestClient(root, name="api webhook", timeout_s=10.0, max_retries=1)
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP: timestamp,
        SIGNATURE: sign(target.secret, timestamp, body),
        IDEMPOTENCY: idempotency_key,
    }
    try:
        client.call("POST", path, content=body, headers=headers, decode=False)
    finally:
        client.close()
