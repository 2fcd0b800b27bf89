"""Fixtures for the Zendesk channel's tests: a fake Zendesk on one loopback server, a settable clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from zendesk_desk import Clock, Desk, Swap

from ticketflow.testing.fake_zendesk import FakeZendesk
from ticketflow.testing.server import LoopbackServer, serve


@pytest.fixture(scope="module")
def swap() -> Iterator[tuple[Swap, LoopbackServer]]:
    app = Swap()
    server = serve(app)
    yield app, server
    server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(swap: tuple[Swap, LoopbackServer], clock: Clock) -> Iterator[Desk]:
    app, server = swap
    fake = FakeZendesk(clock=clock)
    app.app = fake.app
    desk = Desk(fake, server.url, clock)
    yield desk
    for channel in desk.opened:
        channel.close()
