"""Off-peak batching on DBOS: tickets that may wait are drafted through Claude's Message Batches (50% off).

Who waits: with ``[anthropic.batch] enabled``, a ticket on a listed channel (email by default) accepted
outside business hours (and while the daily budget lasts). It is enqueued on its own queue
(``tickets-offpeak``: waiting must not hold the ``tickets`` queue's worker slots); its workflow runs as usual
up to generation, then, instead of an inline call:

1. it publishes its request as the workflow event ``batch.request`` and waits (``DBOS.recv``) to be claimed;
2. the scheduled workflow ``ticketflow.collect_batch`` (cron ``[anthropic.batch] schedule``, one run at a
   time on the ``batch`` queue) finds the pending tickets that published a request, submits them as one
   batch, tells each ticket its batch id and waits until each has acknowledged (so the next run cannot
   claim it again), then starts ``ticketflow.poll_batch`` for that batch;
3. ``ticketflow.poll_batch`` checks the batch every ``poll_interval_s`` with durable sleeps until it ends,
   reads the results and sends each ticket its draft (``DBOS.send``);
4. the ticket workflow resumes: validation and delivery run as for any ticket. A batched reply that does
   not parse or breaks the schema gets one inline retry, then is handed off.

Every wait is a DBOS checkpoint: a crash while a batch is running resumes the poller and the waiting
tickets without submitting or paying twice. ``pipeline/`` knows none of this: it only receives the
``defer`` function that :func:`wait_for_batch` implements.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dbos import DBOS, StepOptions

from ticketflow.domain.draft import Draft
from ticketflow.ports.batch import BatchProvider
from ticketflow.ports.provider import GenerationRequest
from ticketflow.settings import BatchSettings
from ticketflow.wiring import Engine

log = logging.getLogger(__name__)

BATCH_QUEUE = "batch"
OFFPEAK_QUEUE = "tickets-offpeak"
"""Tickets accepted for batching: they spend hours waiting, so they get their own queue and slots."""
SCHEDULE_NAME = "ticketflow.batch"
REQUEST_EVENT = "batch.request"
TICKET_WORKFLOW = "ticketflow.process_ticket"


class _Current:
    engine: Engine | None = None


def bind(engine: Engine | None) -> None:
    _Current.engine = engine


def _port() -> tuple[BatchProvider, BatchSettings]:
    engine = _Current.engine
    if engine is None or engine.batch is None:
        raise RuntimeError("off-peak batching is not enabled in this runtime")
    return engine.batch, engine.settings.anthropic.batch


@dataclass(frozen=True, slots=True)
class Pending:
    """What a waiting ticket publishes: its request and which generation attempt it is."""

    attempt: int
    request: GenerationRequest


def in_business_hours(settings: BatchSettings, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(settings.timezone))
    start, end = settings.business_hours
    return local.weekday() in settings.business_days and start <= local.hour < end


def may_wait(settings: BatchSettings, channel: str, now: datetime) -> bool:
    """Whether a ticket on ``channel`` processed at ``now`` goes to the next batch instead of a live call."""
    return settings.enabled and channel in settings.channels and not in_business_hours(settings, now)


def within_budget() -> bool:
    """Whether a ticket accepted for batching still goes to a batch (a step: replays keep the answer).
    A used-up daily budget is enforced by the inline path, which hands the ticket off (``budget``)."""
    engine = _Current.engine
    if engine is None or engine.batch is None or engine.store is None:
        return False
    limit = engine.settings.anthropic.daily_budget_usd
    return limit is None or engine.store.spent_today() < limit


def _handoff(reason: str, attempt: int) -> Draft:
    return Draft(reply="", action="escalate", escalation_reason=reason, attempt=attempt)


def wait_for_batch(request: GenerationRequest) -> Draft:
    """``Pipeline.process``'s ``defer`` inside a ticket workflow: publish, wait to be claimed, wait for the
    batch result. Called at workflow level, never inside a step (``recv`` is a checkpoint of its own)."""
    port, settings = _port()
    attempt = request.attempt
    DBOS.set_event(REQUEST_EVENT, Pending(attempt, request))
    batch_id = DBOS.recv(f"batch.claim:{attempt}", timeout_seconds=settings.max_wait_s)
    DBOS.set_event(REQUEST_EVENT, None)
    DBOS.set_event(f"batch.claimed:{attempt}", batch_id or "")  # the collector waits for this
    if batch_id is None:
        log.error("ALERT ticket %s was not batched within %.0f s", request.ticket.id, settings.max_wait_s)
        return _handoff("batch_timeout", attempt)
    draft: Draft | None = DBOS.recv(f"batch.result:{attempt}", timeout_seconds=settings.max_wait_s)
    if draft is None:
        log.error("ALERT batch %s gave no result for ticket %s in time", batch_id, request.ticket.id)
        return _handoff("batch_timeout", attempt)
    if draft.escalation_reason == "invalid_output":  # the one retry, inline
        retry: Draft = DBOS.run_step({"name": "generation.retry"}, port.retry, request)
        calls = tuple(dataclasses.replace(u, attempt=i) for i, u in enumerate(draft.usage + retry.usage, 1))
        draft = dataclasses.replace(retry, usage=calls)
    return dataclasses.replace(draft, attempt=attempt)


def _pending_tickets() -> list[str]:
    workflows = DBOS.list_workflows(status="PENDING", name=TICKET_WORKFLOW, load_input=False)
    return [w.workflow_id for w in workflows]


def _submit(requests: Mapping[str, GenerationRequest]) -> str | None:
    port, _ = _port()
    try:
        return port.submit_batch(requests)
    except Exception:  # the tickets are handed off below instead of waiting for a batch that never was
        log.exception("ALERT the batch could not be submitted; %d ticket(s) go to humans", len(requests))
        return None


@DBOS.workflow(name="ticketflow.collect_batch")
def collect_batch(scheduled_at: datetime, context: Any) -> None:
    """One scheduled run: submit every published request as one batch."""
    _, settings = _port()
    waiting: list[tuple[str, Pending]] = []
    for workflow_id in DBOS.run_step({"name": "pending"}, _pending_tickets):
        pending = DBOS.get_event(workflow_id, REQUEST_EVENT, timeout_seconds=0)
        if isinstance(pending, Pending):
            waiting.append((workflow_id, pending))
        if len(waiting) >= settings.max_requests:
            break
    if not waiting:
        return
    requests = {f"r{i}": pending.request for i, (_, pending) in enumerate(waiting)}
    batch_id = DBOS.run_step({"name": "submit"}, _submit, requests)
    for workflow_id, pending in waiting:
        DBOS.send(workflow_id, batch_id or "unsubmitted", topic=f"batch.claim:{pending.attempt}")
    for workflow_id, pending in waiting:  # acknowledged: the next run cannot claim them again
        DBOS.get_event(workflow_id, f"batch.claimed:{pending.attempt}", timeout_seconds=60)
    members = [(wf, p.attempt, custom_id) for custom_id, (wf, p) in zip(requests, waiting, strict=True)]
    if batch_id is None:
        for workflow_id, attempt, _ in members:
            DBOS.send(workflow_id, _handoff("provider_unavailable", attempt), topic=f"batch.result:{attempt}")
        return
    DBOS.start_workflow(poll_batch, batch_id, members)


def _retrying(name: str) -> StepOptions:
    """A provider call that a brief network error should not fail: retried with backoff."""
    return {"name": name, "retries_allowed": True, "max_attempts": 5, "interval_seconds": 1.0}


@DBOS.workflow(name="ticketflow.poll_batch")
def poll_batch(batch_id: str, members: list[tuple[str, int, str]]) -> int:
    """Poll one batch with durable sleeps until it ends, then send each waiting ticket its draft."""
    port, settings = _port()
    while not DBOS.run_step(_retrying("poll"), port.batch_ended, batch_id):
        DBOS.sleep(settings.poll_interval_s)
    drafts = DBOS.run_step(_retrying("results"), port.batch_results, batch_id)
    for workflow_id, attempt, custom_id in members:
        draft = drafts.get(custom_id) or _handoff("batch_missing", attempt)
        DBOS.send(workflow_id, draft, topic=f"batch.result:{attempt}")
    return len(members)


def schedule(settings: BatchSettings, polling_interval_sec: float = 1.0) -> None:
    """Declare the waiting tickets' queue, the collector's queue (one run at a time) and the collector's
    schedule (create or replace)."""
    DBOS.register_queue(
        OFFPEAK_QUEUE,
        worker_concurrency=settings.max_requests,
        partition_concurrency=1,
        polling_interval_sec=polling_interval_sec,
        on_conflict="always_update",
    )
    DBOS.register_queue(
        BATCH_QUEUE, global_concurrency=1, polling_interval_sec=1.0, on_conflict="always_update"
    )
    DBOS.apply_schedules(
        [
            {
                "schedule_name": SCHEDULE_NAME,
                "workflow_fn": collect_batch,
                "schedule": settings.schedule,
                "queue_name": BATCH_QUEUE,
            }
        ]
    )
