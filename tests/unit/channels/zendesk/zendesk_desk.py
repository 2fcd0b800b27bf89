"""Helpers of the Zendesk channel's tests: a settable clock, one server per module, a fake, channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketflow.channels.zendesk.channel import ZendeskChannel
from ticketflow.channels.zendesk.settings_model import ZendeskSettings
from ticketflow.testing.fake_zendesk import FakeZendesk

START = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@dataclass
class Clock:
    """A clock tests move by hand, shared by the fake and the channel."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Swap:
    """An ASGI app that forwards to whichever fake the current test made (one server per module)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@dataclass
class Desk:
    """A test's fake Zendesk, where it is served, and how to build a channel on it."""

    fake: FakeZendesk
    url: str
    clock: Clock
    slept: list[float] = field(default_factory=list)
    opened: list[ZendeskChannel] = field(default_factory=list)

    def channel(self, **overrides: Any) -> ZendeskChannel:
        options: dict[str, Any] = {
            "base_url": self.url,
            "email": self.fake.email,
            "author_id": self.fake.agent,
        }
        settings = ZendeskSettings(**{**options, **overrides})
        env = {
            settings.api_token_env: self.fake.api_token,
            settings.webhook_secret_env: self.fake.signing_secret,
        }
        channel = ZendeskChannel.from_settings(
            settings, environ=env, sleep=self.slept.append, clock=self.clock
        )
        self.opened.append(channel)
        return channel
