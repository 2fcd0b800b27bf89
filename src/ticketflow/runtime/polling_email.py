"""IMAP polling as a scheduled DBOS workflow: new mail in a mailbox becomes tickets, as SMTP mail does.

Each run (``[channels.email.imap] every_seconds``) reads the folder's checkpoint ``(UIDVALIDITY, UID)`` from
the ``cursors`` table (shared by every worker), fetches what came after it in one step, stores each mail in a
step of its own (the same path as the SMTP intake: noise recorded, Message-IDs remembered, a ticket
accepted), enqueues the tickets, and only then moves the checkpoint. A run that dies half-way is re-run
from its last step by DBOS; a mail taken twice (a checkpoint not yet moved, a UIDVALIDITY reset) is the
same ticket, deduped by its Message-ID. The schedule's queue runs one poll at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from dbos import DBOS, DBOSConfiguredInstance, EnqueueOptions

from ticketflow.errors import ConfigError
from ticketflow.ports.channel import ChannelRequest
from ticketflow.ports.store import Unfinished
from ticketflow.runtime.batching import INSTANCE
from ticketflow.runtime.mail_intake import MailChannel, store_mail
from ticketflow.wiring.adapters import Polled, imap_poller

if TYPE_CHECKING:
    from ticketflow.runtime.service import Runtime

POLL_CLASS = "ticketflow.MailPolling"
POLL_WORKFLOW = "ticketflow.poll_mailbox"
POLL_QUEUE = "mail-polling"
RUNS_QUEUE = "mail-polling-runs"
"""Where a scheduled run puts the poll itself (it cannot wait for it on the queue it occupies)."""
SCHEDULE_NAME = "ticketflow.imap"


def cursor_name(user: str, host: str, folder: str) -> str:
    """The checkpoint's name in ``cursors``: one per mailbox and folder."""
    return f"imap:{user}@{host}/{folder}"


def cron(every_seconds: float) -> str:
    """A six-field cron (seconds first) for "every N seconds", rounded to what cron can say."""
    seconds = max(1, round(every_seconds))
    if seconds < 60:
        return f"*/{seconds} * * * * *"
    return f"0 */{max(1, min(59, seconds // 60))} * * * *"


@DBOS.dbos_class(POLL_CLASS)
class MailPolling(DBOSConfiguredInstance):
    """The poller of one runtime (a configured instance: registered before launch, scheduled after)."""

    def __init__(
        self,
        runtime: Runtime,
        poll: Callable[[dict[str, Any] | None], Polled] | None = None,
        name: str = INSTANCE,
    ) -> None:
        """Poll ``[channels.email.imap]`` (``poll`` replaces the IMAP call, for tests)."""
        email = runtime.engine.settings.channels.email
        imap = email.imap if email is not None else None
        if imap is None:
            raise ConfigError("IMAP polling needs [channels.email.imap] in ticketflow.toml")
        self._runtime = runtime
        self._every = imap.every_seconds
        self._cursor = cursor_name(imap.user, imap.host, imap.folder)
        self._poll = poll or imap_poller(imap)
        super().__init__(name)

    def schedule(self) -> None:
        """Declare the poll queue (one run at a time) and the schedule (create or replace)."""
        for queue in (POLL_QUEUE, RUNS_QUEUE):
            DBOS.register_queue(
                queue, global_concurrency=1, polling_interval_sec=1.0, on_conflict="always_update"
            )
        DBOS.apply_schedules(
            [
                {
                    "schedule_name": SCHEDULE_NAME,
                    "workflow_fn": poll_mailbox,
                    "schedule": cron(self._every),
                    "queue_name": POLL_QUEUE,
                    "context": self.config_name,
                }
            ]
        )

    @DBOS.workflow(name="ticketflow.poll_mailbox_now")
    def poll_now(self) -> int:
        """One poll: the number of mails taken."""
        name = self._cursor
        found: Polled = DBOS.run_step({"name": "fetch"}, self._fetch, name)
        taken = 0
        for raw in found.messages:
            tickets: list[Unfinished] = DBOS.run_step({"name": "take"}, self._take, raw)
            for ticket in tickets:
                self._runtime.enqueue(ticket)
            taken += 1
        DBOS.run_step({"name": "checkpoint"}, self._runtime.store.cursors.put, name, found.checkpoint)
        return taken

    def _fetch(self, name: str) -> Polled:
        return self._poll(self._runtime.store.cursors.get(name))

    def _take(self, raw: bytes) -> list[Unfinished]:
        channel = cast(MailChannel, self._runtime.engine.channels["email"])
        return store_mail(self._runtime, channel, ChannelRequest(raw, {}))


@DBOS.workflow(name=POLL_WORKFLOW)
def poll_mailbox(scheduled_at: datetime, context: Any) -> None:
    """The scheduled run: hands over to the poller of the instance the schedule names (DBOS schedules no
    methods of configured instances) and waits for it."""
    options: EnqueueOptions = {
        "workflow_name": "ticketflow.poll_mailbox_now",
        "queue_name": RUNS_QUEUE,
        "class_name": POLL_CLASS,
        "instance_name": context if isinstance(context, str) else INSTANCE,
    }
    DBOS.enqueue_workflow_with_options(options).get_result()
