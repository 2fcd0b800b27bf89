"""One JSON POST for a notifier, its failures sorted into retry (``ChannelUnavailable``) or give up.

The URL is never part of an error message: a Slack webhook URL is a credential.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ticketflow.errors import ChannelUnavailable, DeliveryRefused


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    name: str,
    timeout_s: float,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Response:
    """POST ``body``; a 2xx answer is returned, anything else raised as a channel error naming ``name``."""
    try:
        with httpx.Client(timeout=timeout_s, transport=transport) as client:
            response = client.post(url, content=body, headers=dict(headers))
    except httpx.HTTPError as exc:  # refused, reset, timed out
        raise ChannelUnavailable(f"{name}: unreachable ({type(exc).__name__}); retry later") from None
    if response.is_success:
        return response
    detail = f"{name} answered {response.status_code} {response.text[:200]!r}"
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise ChannelUnavailable(f"{detail}; retry later")
    raise DeliveryRefused(detail)
