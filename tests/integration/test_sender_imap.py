"""IMAP polling in the runtime: new mail becomes tickets, the checkpoint lives in the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ticketflow.channels.email.settings_model import EmailSettings, ImapSettings
from ticketflow.runtime import polling_email
from ticketflow.runtime.service import Runtime
from ticketflow.settings import ChannelsSettings, Settings
from ticketflow.wiring.adapters import Polled
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

SUPPORT = "support@store.test"


def _raw(n: int) -> bytes:
    return (
        f"From: rosa{n}@example.com\r\nTo: {SUPPORT}\r\nSubject: Question {n}\r\n"
        f"Message-ID: <imap-{n}@example.com>\r\n\r\nHow long does standard delivery take?\r\n"
    ).encode()


class Mailbox:
    """A folder in memory, polled as the IMAP poller does: everything after the checkpoint's UID."""

    def __init__(self) -> None:
        self.uidvalidity = 7
        self.mails: list[bytes] = []
        self.checkpoints: list[dict[str, Any] | None] = []

    def poll(self, stored: dict[str, Any] | None) -> Polled:
        self.checkpoints.append(stored)
        last = stored["uid"] if stored and stored["uidvalidity"] == self.uidvalidity else 0
        new = self.mails[last:]
        return Polled(tuple(new), {"uidvalidity": self.uidvalidity, "uid": len(self.mails)})


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def runtime(
    settings: Settings, store_models: TrainedModels, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    imap = ImapSettings(host="imap.store.test", user=SUPPORT, password_env="TF_TEST_IMAP", every_seconds=3600)
    email = EmailSettings(addresses=[SUPPORT], from_address=SUPPORT, outbound="smtp://127.0.0.1:9", imap=imap)
    monkeypatch.setattr(polling_email, "imap_poller", lambda _settings: mailbox.poll)
    configured = settings.model_copy(update={"channels": ChannelsSettings(email=email)})
    engine = Engine.from_workspace(settings=configured, models=store_models)
    with Runtime(engine) as started:
        yield started
    engine.close()


def test_polled_mail_becomes_tickets_and_the_checkpoint_is_stored(runtime: Runtime, mailbox: Mailbox) -> None:
    poller = runtime._polling
    assert poller is not None
    mailbox.mails = [_raw(1), _raw(2)]
    assert poller.poll_now() == 2
    assert runtime.store.counts()["tickets"] == 2
    name = polling_email.cursor_name(SUPPORT, "imap.store.test", "INBOX")
    assert runtime.store.cursors.get(name) == {"uidvalidity": 7, "uid": 2}

    mailbox.mails.append(_raw(3))
    assert poller.poll_now() == 1
    assert mailbox.checkpoints[-1] == {"uidvalidity": 7, "uid": 2}
    assert runtime.store.counts()["tickets"] == 3

    mailbox.uidvalidity = 8  # the server renumbered the folder: everything comes again, deduped
    assert poller.poll_now() == 3
    assert runtime.store.counts()["tickets"] == 3
    assert runtime.store.cursors.get(name) == {"uidvalidity": 8, "uid": 3}
