"""Off-peak batching on DBOS: tickets that may wait are drafted through Claude's Message Batches (50% off).

Who waits: with ``[anthropic.batch] enabled``, a ticket on a listed channel (email by default) accepted
outside business hours (and while the daily budget lasts). It is enqueued on its own queue
(``tickets-offpeak``: waiting must not hold the ``tickets`` queue's worker slots); its workflow runs as usual
up to generation, then, instead of an inline call:

1. it publishes its request as the workflow event ``batch.request`` and waits (``DBOS.recv``) to be claimed;
2. the scheduled workflow ``ticketflow.collect_batch`` (cron ``[anthropic.batch] schedule``, one run at a
   time on the ``batch`` queue) runs its collector, ``ticketflow.collect_requests``, which finds the pending
   tickets that published a request and, in one step, claims them in the ``batch_items`` table (unique per
   ticket and attempt: a request claimed by any run, in any state, is skipped), submits the claimed ones as
   one batch (custom id = the claim's), and records the batch id on the claims; it tells each ticket its
   batch id and starts ``ticketflow.poll_batch``;
3. ``ticketflow.poll_batch`` checks the batch every ``poll_interval_s`` with durable sleeps until it ends,
   reads the results and sends each ticket its draft, found by custom id (``DBOS.send``);
4. the ticket workflow resumes: validation and delivery run as for any ticket. A batched reply that does
   not parse or breaks the schema gets one inline retry, then is handed off.

Never paid twice: a request is claimed before it is submitted and a claim is never undone, so a ticket
that died (or stalled) after being claimed, with its request still published, is not put in a second
batch; it resumes from its DBOS checkpoints and receives the result of the batch it is in. A ticket
workflow that finds its request already claimed by another run of it (a fork, a restart from scratch)
reads its draft straight from that batch by custom id. A collector that dies inside the claim-and-submit
step cannot know whether its batch was created (the API takes no idempotency key): when the step runs
again it submits nothing, marks its claims ``in_doubt`` and hands those tickets off (``batch_in_doubt``,
with an ALERT), since resubmitting could pay twice. ``pipeline/`` knows none of this: it only receives
the ``defer`` function that :meth:`BatchWorkflows.wait_for_batch` implements.

Where the workflows find the provider, the claims and the budget: on :class:`BatchWorkflows`, a configured
DBOS instance the runtime registers by name before launch (no process globals). DBOS schedules no methods of
configured instances, so the scheduled ``collect_batch`` is a plain workflow that starts the collector of
the instance its schedule names, by name.

Which tickets wait: ``[anthropic.batch]``'s own business hours when any of ``business_days``,
``business_hours``, ``timezone`` is set; otherwise the workspace's ``business_hours:`` in rules.yaml (the
one routing reads); otherwise Monday to Friday, 9:00 to 17:00 UTC.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dbos import DBOS, DBOSConfiguredInstance, EnqueueOptions, StepOptions

from ticketflow.domain.draft import Draft
from ticketflow.domain.rules import BusinessHours
from ticketflow.ports.batch import BatchClaim, BatchClaims, BatchProvider
from ticketflow.ports.provider import GenerationRequest
from ticketflow.settings import BatchSettings

log = logging.getLogger(__name__)

BATCH_QUEUE = "batch"
OFFPEAK_QUEUE = "tickets-offpeak"
"""Tickets accepted for batching: they spend hours waiting, so they get their own queue and slots."""
SCHEDULE_NAME = "ticketflow.batch"
REQUEST_EVENT = "batch.request"
TICKET_WORKFLOW = "ticketflow.process_ticket"
COLLECTOR_WORKFLOW = "ticketflow.collect_requests"
COLLECTOR_QUEUE = "batch-collector"
"""Where a scheduled run puts its collector (it cannot wait for it on the ``batch`` queue it occupies)."""
BATCH_CLASS = "ticketflow.BatchWorkflows"
INSTANCE = "ticketflow"
"""The name the runtime's configured DBOS instances are registered under, the same in every process."""


@dataclass(frozen=True, slots=True)
class Pending:
    """What a waiting ticket publishes: its request and which generation attempt it is."""

    attempt: int
    request: GenerationRequest


def business_hours(settings: BatchSettings, workspace: BusinessHours | None = None) -> BusinessHours:
    """The hours outside which tickets may wait. ``[anthropic.batch]``'s own, when any of its
    ``business_days``, ``business_hours``, ``timezone`` is set (unset ones take the defaults below);
    else the workspace's (rules.yaml ``business_hours:``); else Monday to Friday, 9:00 to 17:00 UTC."""
    own = (settings.business_days, settings.business_hours, settings.timezone)
    if workspace is not None and all(value is None for value in own):
        return workspace
    default = BusinessHours()
    start, end = settings.business_hours or (default.opens // 60, default.closes // 60)
    return BusinessHours(
        timezone=settings.timezone or default.timezone,
        days=frozenset(settings.business_days) if settings.business_days is not None else default.days,
        opens=start * 60,
        closes=end * 60,
    )


def in_business_hours(settings: BatchSettings, now: datetime, workspace: BusinessHours | None = None) -> bool:
    """Whether ``now`` falls in the business hours batching uses (its own settings, else the workspace's)."""
    return business_hours(settings, workspace).is_open(now)


def may_wait(
    settings: BatchSettings, channel: str, now: datetime, workspace: BusinessHours | None = None
) -> bool:
    """Whether a ticket on ``channel`` processed at ``now`` goes to the next batch instead of a live call
    (``workspace``: rules.yaml's business hours, used when ``[anthropic.batch]`` sets none)."""
    return (
        settings.enabled and channel in settings.channels and not in_business_hours(settings, now, workspace)
    )


def _pending_tickets() -> list[str]:
    workflows = DBOS.list_workflows(status="PENDING", name=TICKET_WORKFLOW, load_input=False)
    return [w.workflow_id for w in workflows]


@dataclass(frozen=True, slots=True)
class Submission:
    """What one collector run claimed and did with it: submitted as ``batch_id``, or, when that is None,
    handed off with ``failure`` (nothing claimed: ``members`` is empty)."""

    members: tuple[tuple[str, int, str], ...]
    """``(ticket workflow id, attempt, custom id)`` per claimed request."""
    batch_id: str | None = None
    failure: str = "provider_unavailable"


def _retrying(name: str) -> StepOptions:
    """A provider call that a brief network error should not fail: retried with backoff."""
    return {"name": name, "retries_allowed": True, "max_attempts": 5, "interval_seconds": 1.0}


@DBOS.dbos_class(BATCH_CLASS)
class BatchWorkflows(DBOSConfiguredInstance):
    """The batching workflows over one runtime's batch provider, claims and budget.

    A configured DBOS instance: DBOS records its name with every workflow it runs, and a process that
    recovers or dequeues one of them (a restarted worker, another worker) runs it on the instance it
    registered under that name. Create it before ``DBOS.launch()``, once per name in a process.
    """

    def __init__(
        self,
        port: BatchProvider,
        settings: BatchSettings,
        claims: BatchClaims,
        spent_today: Callable[[], float],
        daily_budget_usd: float | None,
        name: str = INSTANCE,
    ) -> None:
        self._port = port
        self._settings = settings
        self._claims = claims
        self._spent_today = spent_today
        self._budget = daily_budget_usd
        super().__init__(name)

    def within_budget(self) -> bool:
        """Whether a ticket accepted for batching still goes to a batch (a step: replays keep the answer).
        A used-up daily budget is enforced by the inline path, which hands the ticket off (``budget``)."""
        return self._budget is None or self._spent_today() < self._budget

    def wait_for_batch(self, request: GenerationRequest) -> Draft:
        """``Pipeline.process``'s ``defer`` inside a ticket workflow: publish, wait to be claimed, wait for
        the batch result. Called at workflow level, never inside a step (``recv`` is a checkpoint itself)."""
        port, settings = self._port, self._settings
        attempt = request.attempt
        earlier = DBOS.run_step(
            {"name": "batch.claimed?"}, self._claims.find, str(request.ticket.id), attempt
        )
        if earlier is not None:  # another run of this ticket is in a batch already: read it, never rebatch
            draft = self._read_from_batch(earlier)
        else:
            DBOS.set_event(REQUEST_EVENT, Pending(attempt, request))
            batch_id = DBOS.recv(f"batch.claim:{attempt}", timeout_seconds=settings.max_wait_s)
            DBOS.set_event(REQUEST_EVENT, None)
            if batch_id is None:
                log.error(
                    "ALERT ticket %s was not batched within %.0f s", request.ticket.id, settings.max_wait_s
                )
                return Draft.handoff("batch_timeout", attempt=attempt)
            waited: Draft | None = DBOS.recv(f"batch.result:{attempt}", timeout_seconds=settings.max_wait_s)
            if waited is None:
                log.error("ALERT batch %s gave no result for ticket %s in time", batch_id, request.ticket.id)
                return Draft.handoff("batch_timeout", attempt=attempt)
            draft = waited
        if draft.escalation_reason == "invalid_output":  # the one retry, inline
            retry: Draft = DBOS.run_step({"name": "generation.retry"}, port.retry, request)
            calls = tuple(
                dataclasses.replace(u, attempt=i) for i, u in enumerate(draft.usage + retry.usage, 1)
            )
            draft = dataclasses.replace(retry, usage=calls)
        return dataclasses.replace(draft, attempt=attempt)

    def _read_from_batch(self, claim: BatchClaim) -> Draft:
        """The draft of a request claimed by an earlier run of this ticket, read from its batch by
        custom id."""
        port, settings = self._port, self._settings
        if claim.batch_id is None:  # refused, or its collector died while submitting: never resubmitted
            reason = "provider_unavailable" if claim.state == "failed" else "batch_in_doubt"
            log.error(
                "ALERT ticket %s: its batch request is %s; handing it off", claim.ticket_id, claim.state
            )
            return Draft.handoff(reason, attempt=claim.attempt)
        waited = 0.0
        while not DBOS.run_step(_retrying("poll"), port.batch_ended, claim.batch_id):
            if waited >= settings.max_wait_s:
                log.error(
                    "ALERT batch %s gave no result for ticket %s in time", claim.batch_id, claim.ticket_id
                )
                return Draft.handoff("batch_timeout", attempt=claim.attempt)
            DBOS.sleep(settings.poll_interval_s)
            waited += settings.poll_interval_s
        drafts = DBOS.run_step(_retrying("results"), port.batch_results, claim.batch_id)
        return drafts.get(claim.custom_id) or Draft.handoff("batch_missing", attempt=claim.attempt)

    def _claim_and_submit(self, claimant: str, waiting: list[tuple[str, Pending]]) -> Submission:
        """Claim the waiting requests nobody has claimed, then submit the claimed ones as one batch; one
        step, so that after a crash it either replays its recorded answer or runs again and finds its
        claims."""
        claims = self._claims
        claimed = claims.claim(claimant, [(str(p.request.ticket.id), p.attempt, wf) for wf, p in waiting])
        members = tuple((c.workflow_id, c.attempt, c.custom_id) for c in claimed.claims)
        if claimed.resumed:  # this step ran before and died: whatever it got to, never submit again
            batch_ids = {c.batch_id for c in claimed.claims if c.batch_id}
            if batch_ids:
                return Submission(members, batch_id=batch_ids.pop())
            if all(c.state == "failed" for c in claimed.claims):
                return Submission(members)
            claims.settle(claimant, "in_doubt", "the collector died while submitting the batch")
            log.error(
                "ALERT a batch submission of %d request(s) was interrupted and may have been created; "
                "the tickets go to humans instead of risking a second payment",
                len(members),
            )
            return Submission(members, failure="batch_in_doubt")
        if not members:
            return Submission(())
        by_key = {(str(p.request.ticket.id), p.attempt): p.request for _, p in waiting}
        requests = {c.custom_id: by_key[(c.ticket_id, c.attempt)] for c in claimed.claims}
        try:
            batch_id = self._port.submit_batch(requests)
        except Exception as exc:  # the tickets are handed off instead of waiting for a batch that never was
            log.exception("ALERT the batch could not be submitted; %d ticket(s) go to humans", len(requests))
            claims.settle(claimant, "failed", repr(exc))
            return Submission(members)
        claims.submitted(claimant, batch_id)
        return Submission(members, batch_id=batch_id)

    @DBOS.workflow(name=COLLECTOR_WORKFLOW)
    def collect(self, scheduled_at: datetime) -> None:
        """One collector run: submit every published, unclaimed request as one batch."""
        waiting: list[tuple[str, Pending]] = []
        for workflow_id in DBOS.run_step({"name": "pending"}, _pending_tickets):
            pending = DBOS.get_event(workflow_id, REQUEST_EVENT, timeout_seconds=0)
            if isinstance(pending, Pending):
                waiting.append((workflow_id, pending))
            if len(waiting) >= self._settings.max_requests:
                break
        if not waiting:
            return
        claimant = DBOS.workflow_id or "collector"
        submission = DBOS.run_step({"name": "submit"}, self._claim_and_submit, claimant, waiting)
        for workflow_id, attempt, _ in submission.members:
            DBOS.send(workflow_id, submission.batch_id or "unsubmitted", topic=f"batch.claim:{attempt}")
        if submission.batch_id is None:
            for workflow_id, attempt, _ in submission.members:
                draft = Draft.handoff(submission.failure, attempt=attempt)
                DBOS.send(workflow_id, draft, topic=f"batch.result:{attempt}")
            return
        DBOS.start_workflow(self.poll_batch, submission.batch_id, list(submission.members))

    @DBOS.workflow(name="ticketflow.poll_batch")
    def poll_batch(self, batch_id: str, members: list[tuple[str, int, str]]) -> int:
        """Poll one batch with durable sleeps until it ends, then send each waiting ticket its draft."""
        port = self._port
        while not DBOS.run_step(_retrying("poll"), port.batch_ended, batch_id):
            DBOS.sleep(self._settings.poll_interval_s)
        drafts = DBOS.run_step(_retrying("results"), port.batch_results, batch_id)
        for workflow_id, attempt, custom_id in members:
            draft = drafts.get(custom_id) or Draft.handoff("batch_missing", attempt=attempt)
            DBOS.send(workflow_id, draft, topic=f"batch.result:{attempt}")
        return len(members)

    def schedule(self, polling_interval_sec: float = 1.0) -> None:
        """Declare the waiting tickets' queue, the collector's queues (one run at a time) and the collector's
        schedule (create or replace), which names this instance."""
        settings = self._settings
        DBOS.register_queue(
            OFFPEAK_QUEUE,
            worker_concurrency=settings.max_requests,
            partition_concurrency=1,
            polling_interval_sec=polling_interval_sec,
            on_conflict="always_update",
        )
        for queue in (BATCH_QUEUE, COLLECTOR_QUEUE):
            DBOS.register_queue(
                queue, global_concurrency=1, polling_interval_sec=1.0, on_conflict="always_update"
            )
        DBOS.apply_schedules(
            [
                {
                    "schedule_name": SCHEDULE_NAME,
                    "workflow_fn": collect_batch,
                    "schedule": settings.schedule,
                    "queue_name": BATCH_QUEUE,
                    "context": self.config_name,
                }
            ]
        )


@DBOS.workflow(name="ticketflow.collect_batch")
def collect_batch(scheduled_at: datetime, context: Any) -> None:
    """The scheduled run. DBOS schedules no methods of configured instances, so this hands the run to the
    collector of the instance the schedule names (``context``; None: the default one), by name, and waits
    for it: each run keeps the ``batch`` queue's one slot until its collector is done."""
    instance = context if isinstance(context, str) else INSTANCE
    options: EnqueueOptions = {
        "workflow_name": COLLECTOR_WORKFLOW,
        "queue_name": COLLECTOR_QUEUE,
        "class_name": BATCH_CLASS,
        "instance_name": instance,
    }
    DBOS.enqueue_workflow_with_options(options, scheduled_at).get_result()
