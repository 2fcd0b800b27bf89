"""Helpdesk polling on DBOS: the fallback that finds the customer messages whose webhooks never came.

Each configured helpdesk with ``poll_every_s`` above 0 gets a DBOS schedule (``ticketflow.poll.<desk>``,
every that many seconds). A scheduled run enqueues one *pass* of that desk on its own queue, which runs one
pass at a time; while a pass is queued or running, later runs attach to it instead of piling up (the
queue's deduplication id is the desk). A pass is a durable workflow of four checkpointed steps:

1. read the desk's cursor from the ``cursors`` table (``poll:<desk>``; none before the first pass);
2. poll the helpdesk from it (``wiring.desks.Poller``: the desk's own paging, boundaries and windows);
3. submit each customer message found, as a webhook would (``Runtime.submit``: stored, then enqueued as
   ``msg:{channel}:{external_id}``, so one that a webhook or an earlier pass brought creates nothing; at
   the workflow's level, since DBOS enqueues nothing from inside a step);
4. store the new cursor.

A pass that dies anywhere resumes from its last step: before step 4 the old cursor still stands, so the
same messages are found and deduped; after it, the next pass starts from the new cursor. Either way a
message is submitted exactly once. DBOS schedules no methods of configured instances, so the scheduled
workflow is a plain one that enqueues the pass on the :class:`DeskPolling` instance its schedule names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from dbos import DBOS, DBOSConfiguredInstance, EnqueueOptions, StepOptions

from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import InboundMessage
from ticketflow.ports.store import Cursors
from ticketflow.runtime.batching import INSTANCE
from ticketflow.wiring.desks import HELPDESKS, Poller, PollPass

log = logging.getLogger(__name__)

POLLING_CLASS = "ticketflow.DeskPolling"
PASS_WORKFLOW = "ticketflow.poll_desk_pass"
SCHEDULE_PREFIX = "ticketflow.poll."
QUEUE_PREFIX = "desk-poll."


def cursor_name(desk: str) -> str:
    """The desk's row in the ``cursors`` table."""
    return f"poll:{desk}"


def every(seconds: int) -> str:
    """A six-field cron (seconds first) firing every ``seconds``, to the nearest span cron can say.

    Cron counts within the minute, hour or day, so a span that does not divide one of them is rounded down
    to one that does (and logged): 45 s runs every 30 s, 90 s every 60 s.
    """
    for unit, field, limit in ((1, 0, 60), (60, 1, 60), (3600, 2, 24)):
        if seconds < unit * limit:
            count = max(1, seconds // unit)
            fitting = max(d for d in range(1, count + 1) if limit % d == 0)
            if fitting * unit != seconds:
                log.warning(
                    "polling every %d s is not a cron span: polling every %d s", seconds, fitting * unit
                )
            fields = ["0"] * field + [f"*/{fitting}"] + ["*"] * (5 - field)
            return " ".join(fields)
    return "0 0 0 * * *"  # a day or more: daily


def _retrying(name: str) -> StepOptions:
    """A helpdesk call a brief outage should not fail (the client already retried 429 and 5xx)."""
    return {"name": name, "retries_allowed": True, "max_attempts": 3, "interval_seconds": 2.0}


@DBOS.dbos_class(POLLING_CLASS)
class DeskPolling(DBOSConfiguredInstance):
    """The polling passes over one runtime's helpdesk pollers, cursors and intake.

    A configured DBOS instance, like the ticket workflows: create it before ``DBOS.launch()`` so that a pass
    recovered at launch finds it, once per name in a process.
    """

    def __init__(
        self,
        pollers: Mapping[str, Poller],
        cursors: Cursors,
        submit: Callable[[InboundMessage], tuple[TicketId, bool]],
        name: str = INSTANCE,
    ) -> None:
        self._pollers = dict(pollers)
        self._cursors = cursors
        self._submit = submit
        super().__init__(name)

    @DBOS.workflow(name=PASS_WORKFLOW)
    def run_pass(self, desk: str) -> dict[str, int]:
        """One pass over ``desk``: what it found, how many of those were new, and what it ignored."""
        poller = self._pollers.get(desk)
        if poller is None:  # the schedule outlived the desk's configuration in this process
            log.warning("no poller for %s in this process: the pass does nothing", desk)
            return {"found": 0, "new": 0, "ignored": 0}
        stored = DBOS.run_step({"name": "cursor"}, self._cursors.get, cursor_name(desk))
        found: PollPass = DBOS.run_step(_retrying(f"poll {desk}"), poller.poll, stored)
        # at the workflow's level, not in a step: enqueueing is a checkpoint of its own, and storing
        # a message that is stored already adds nothing, so a replay repeats neither
        new = sum(1 for message in found.messages if self._submit(message)[1])
        DBOS.run_step({"name": "save cursor"}, self._cursors.put, cursor_name(desk), found.cursor)
        if found.messages:
            log.info("polling %s: %d message(s), %d new", desk, len(found.messages), new)
        if not found.complete:
            log.info("polling %s: more to read; the next pass goes on from the stored cursor", desk)
        return {"found": len(found.messages), "new": new, "ignored": found.ignored}

    def schedule(self) -> None:
        """Declare each poller's queue and schedule (create or replace); drop the schedules of desks that
        are no longer polled, so a removed desk stops being polled."""
        for desk in HELPDESKS:
            if desk not in self._pollers:
                DBOS.delete_schedule(SCHEDULE_PREFIX + desk)
        for desk in self._pollers:
            DBOS.register_queue(
                QUEUE_PREFIX + desk,
                global_concurrency=1,
                polling_interval_sec=1.0,
                on_conflict="always_update",
            )
        DBOS.apply_schedules(
            [
                {
                    "schedule_name": SCHEDULE_PREFIX + desk,
                    "workflow_fn": poll_desk,
                    "schedule": every(poller.every_s),
                    "context": {"instance": self.config_name, "desk": desk},
                }
                for desk, poller in self._pollers.items()
            ]
        )


@DBOS.workflow(name="ticketflow.poll_desk")
def poll_desk(scheduled_at: datetime, context: Any) -> None:
    """The scheduled run: enqueue one pass of the desk its schedule names, unless one is queued or running
    already (then this run attaches to it). It does not wait: the pass holds its own queue's one slot."""
    if not isinstance(context, dict) or context.get("desk") not in HELPDESKS:
        log.error("a polling schedule without a desk in its context (%r): nothing to do", context)
        return
    desk = str(context["desk"])
    options: EnqueueOptions = {
        "workflow_name": PASS_WORKFLOW,
        "queue_name": QUEUE_PREFIX + desk,
        "class_name": POLLING_CLASS,
        "instance_name": str(context.get("instance") or INSTANCE),
        "deduplication_id": desk,
        "duplication_policy": "return-existing",
    }
    DBOS.enqueue_workflow_with_options(options, desk)
