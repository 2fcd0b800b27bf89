"""What the Intercom channel tests share: a fake served on loopback, and a channel pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from ticketflow.channels.intercom.channel import IntercomChannel
from ticketflow.channels.intercom.settings_model import ACCESS_TOKEN_ENV, WEBHOOK_SECRET_ENV, IntercomSettings
from ticketflow.testing.fake_intercom import FakeIntercom
from ticketflow.testing.server import serve

ADMIN = "991267696"
TOKEN = "ic-test-token"
KEY = "ic-client-secret"
ENV = {ACCESS_TOKEN_ENV: TOKEN, WEBHOOK_SECRET_ENV: KEY}
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def channel_for(
    url: str, slept: list[float] | None = None, env: dict[str, str] = ENV, **settings: Any
) -> IntercomChannel:
    """A channel posting as ``ADMIN`` to ``url``; ``slept`` records the waits instead of sleeping."""
    recorded = [] if slept is None else slept
    channel = IntercomChannel(
        IntercomSettings(base_url=url, admin_id=ADMIN, **settings),
        environ=env,
        sleep=recorded.append,
        clock=lambda: NOW,
    )
    _opened.append(channel)
    return channel


_opened: list[IntercomChannel] = []


@pytest.fixture(autouse=True)
def close_channels() -> Iterator[None]:
    """Close every channel a test built (import this fixture into each test module)."""
    yield
    while _opened:
        _opened.pop().close()


@contextmanager
def served(fake: FakeIntercom | None = None) -> Iterator[tuple[FakeIntercom, str]]:
    """A fake Intercom (fresh unless given) on a loopback port, and its URL."""
    fake = fake or FakeIntercom(token=TOKEN, signing_key=KEY, admin_ids=(ADMIN, "agent-7"))
    with serve(fake.app) as server:
        yield fake, server.url
