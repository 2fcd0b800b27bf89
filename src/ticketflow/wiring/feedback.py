"""The feedback link, from settings and the environment: on only when both a base URL and a secret exist."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

from ticketflow.domain.feedback import FeedbackLinks
from ticketflow.errors import ConfigError
from ticketflow.settings import FeedbackSettings

MIN_SECRET_BYTES = 16


def feedback_links(
    settings: FeedbackSettings, environ: Mapping[str, str] | None = None
) -> FeedbackLinks | None:
    """The link maker the sender appends to replies and the feedback routes verify with, or None (off).

    Off when ``[feedback] link_base_url`` is unset or the secret's variable is empty. A secret shorter than
    16 bytes is a ``ConfigError``: a guessable key would let anyone rate any ticket.
    """
    env = os.environ if environ is None else environ
    secret = env.get(settings.secret_env, "")
    if not settings.link_base_url or not secret:
        return None
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"{settings.secret_env}: the feedback secret must be at least {MIN_SECRET_BYTES} bytes "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return FeedbackLinks(
        base_url=settings.link_base_url,
        secret=secret.encode(),
        ttl=timedelta(days=settings.link_ttl_days),
        footer=settings.link_text,
    )


def window(settings: FeedbackSettings) -> timedelta:
    """The verification window as a ``timedelta``."""
    return timedelta(hours=settings.window_hours)
