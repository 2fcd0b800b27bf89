"""``ReviewDesk``: the review queue as agents work it (leases, re-validation, sending, history).

Built by the :class:`~ticketflow.runtime.service.Runtime` (``runtime.reviews``), which owns the durable
sender a reviewed reply goes out through. Every method but :meth:`ReviewDesk.queue` and
:meth:`ReviewDesk.item` takes the acting :class:`~ticketflow.domain.access.Principal`; every action but
:meth:`ReviewDesk.claim` requires the actor to hold a live lease on the review, checked and applied in one
conditional UPDATE by the store (``ports.reviews.ReviewRecords``), so two agents racing change it once.

A reply a person approves or writes is validated again by the pipeline's own validation stage (the same
checks, policy and judge as an automated draft), over the ticket's context built again: a failure of a check
in ``[reviews] blocking_checks`` (``pii`` by default) refuses the send with :class:`ReplyBlocked`; the
others are returned as warnings. Routing's escalation is what brought the ticket to a person, so the checks
see the decision as ``auto``: a person's reply is not "a reply where a human must act".

Sending closes the review (``sent``) and then enqueues the sender's ``ticketflow.deliver_reviewed``
workflow (id ``deliver-reviewed:{ticket_id}``, message key ``send:{ticket_id}:reviewed``), so the reply
goes out once, through the ticket's own channel, and never collides with the handoff's own delivery. A
process that dies between the two is covered by :meth:`ReviewDesk.resume` at the next start.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ticketflow.domain.access import Principal
from ticketflow.domain.checks import Verdict
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.draft import Draft
from ticketflow.domain.ids import TicketId
from ticketflow.domain.reviews import (
    RecheckResult,
    ReplyBlocked,
    Revalidation,
    ReviewAction,
    ReviewClosed,
    ReviewConflict,
    ReviewEntry,
    ReviewFilter,
    ReviewItem,
    ReviewNotFound,
    ReviewRecord,
    ReviewStatus,
    business_deadline,
)
from ticketflow.domain.rules import BusinessHours
from ticketflow.errors import InputError
from ticketflow.pipeline.runner import Pipeline
from ticketflow.ports.reviews import ReviewRecords
from ticketflow.ports.store import TicketStore
from ticketflow.settings import ReviewSettings

Dispatch = Callable[[str, str, str], None]
"""Hands a reviewed reply to the durable sender: (ticket id, conversation id, body)."""

MAX_BODY_CHARS = 20_000
MAX_REASON_CHARS = 2_000


def holder_of(actor: Principal) -> str:
    """The lease holder id of a caller: ``key:<id>`` for an API key, ``user:<id>`` for a person."""
    return f"{actor.kind}:{actor.id}"


def draft_diff(draft: str | None, sent: str) -> str:
    """The unified diff from the draft to the reply sent; empty when it was sent as it was."""
    before = (draft or "").splitlines(keepends=True)
    after = sent.splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, fromfile="draft", tofile="sent"))


class ReviewDesk:
    """The review queue's service over the store's reviews, the pipeline's validation and the sender."""

    def __init__(
        self,
        records: ReviewRecords,
        tickets: TicketStore,
        pipeline: Pipeline,
        settings: ReviewSettings,
        hours: BusinessHours | None,
        dispatch: Dispatch,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``dispatch`` enqueues a reviewed reply (the runtime's sender); ``clock`` is for tests."""
        self._records = records
        self._tickets = tickets
        self._pipeline = pipeline
        self._settings = settings
        self._hours = hours
        self._dispatch = dispatch
        self._clock = clock

    # -- reading --------------------------------------------------------------------------------------

    def due_at(self, record: ReviewRecord) -> datetime:
        """When the review is due: its reason's target, in business time, after it was queued."""
        target = timedelta(seconds=self._settings.target_s(record.reason))
        return business_deadline(self._hours, record.created_at, target)

    def _item(self, record: ReviewRecord, now: datetime, history: tuple[ReviewEntry, ...] = ()) -> ReviewItem:
        status = record.live_status(now)
        due = self.due_at(record)
        leased = status is ReviewStatus.CLAIMED
        return ReviewItem(
            ticket_id=record.ticket_id,
            reason=record.reason,
            channel=record.channel,
            created_at=record.created_at,
            due_at=due,
            overdue=not status.closed and due <= now,
            status=status,
            lease_holder=record.lease_holder if leased else None,
            lease_expires_at=record.lease_expires_at if leased else None,
            assignee=record.assignee,
            handoff=record.handoff,
            draft=record.handoff.suggested_reply,
            history=history,
        )

    def queue(self, filter: ReviewFilter | None = None, now: datetime | None = None) -> list[ReviewItem]:
        """The reviews matching ``filter``, oldest due first; ``overdue`` is computed against ``now``."""
        f = filter or ReviewFilter()
        now = now or self._clock()
        stored = set(f.statuses)
        if ReviewStatus.OPEN in stored:  # an expired lease reads as open
            stored.add(ReviewStatus.CLAIMED)
        records = self._records.listing(
            stored,
            reason=f.reason,
            channel=f.channel,
            created_after=_before(now, f.max_age),
            created_before=_before(now, f.min_age),
            assignee=f.assignee,
        )
        items = [self._item(r, now) for r in records]
        items = [i for i in items if i.status in f.statuses]
        if f.due_before is not None:
            items = [i for i in items if i.due_at < f.due_before]
        items.sort(key=lambda i: (i.due_at, i.created_at, i.ticket_id))
        return items[: f.limit]

    def item(self, ticket_id: TicketId | str, now: datetime | None = None) -> ReviewItem:
        """One review with its history; ``ReviewNotFound`` when the ticket has none."""
        record = self._records.find(TicketId(ticket_id))
        if record is None:
            raise ReviewNotFound(f"no review for ticket {ticket_id!r}")
        return self._item(record, now or self._clock(), self._records.history(record.ticket_id))

    # -- leases ---------------------------------------------------------------------------------------

    def claim(self, ticket_id: TicketId | str, actor: Principal, lease_s: float | None = None) -> ReviewItem:
        """Take the lease (``[reviews] lease_s`` by default); the holder may claim again to renew it.
        ``ReviewConflict`` when someone else holds a live lease, ``ReviewClosed`` when it is closed."""
        seconds = self._settings.lease_s if lease_s is None else lease_s
        if not 1.0 <= seconds <= 86_400.0:
            raise _invalid("lease_s", f"must be between 1 and 86400 seconds, got {seconds}")
        now = self._clock()
        holder = holder_of(actor)
        done, record = self._records.claim(TicketId(ticket_id), holder, now, now + timedelta(seconds=seconds))
        if not done:
            self._refuse(ticket_id, record, holder, now)
        assert record is not None
        return self._item(record, now)

    def release(self, ticket_id: TicketId | str, actor: Principal) -> ReviewItem:
        """Give the lease back (the review is open again)."""
        now = self._clock()
        holder = holder_of(actor)
        done, record = self._records.release(TicketId(ticket_id), holder, now)
        if not done:
            self._refuse(ticket_id, record, holder, now)
        assert record is not None
        return self._item(record, now)

    def _refuse(self, ticket_id: str, record: ReviewRecord | None, holder: str, now: datetime) -> None:
        """Raise the error that says why a change was refused."""
        if record is None:
            raise ReviewNotFound(f"no review for ticket {ticket_id!r}")
        if record.status.closed:
            raise ReviewClosed(f"the review of ticket {ticket_id} is already {record.status.value}")
        if record.leased(now) and record.lease_holder != holder:
            until = record.lease_expires_at.isoformat() if record.lease_expires_at else "?"
            raise ReviewConflict(
                f"{record.lease_holder} holds the review of ticket {ticket_id} until {until}"
            )
        raise ReviewConflict(f"claim the review of ticket {ticket_id} first: you hold no live lease on it")

    def _held(self, ticket_id: str, holder: str) -> ReviewRecord:
        """The review, when ``holder`` holds its live lease now (else the refusal, raised)."""
        now = self._clock()
        record = self._records.find(TicketId(ticket_id))
        if record is None or record.status.closed or not record.leased(now) or record.lease_holder != holder:
            self._refuse(ticket_id, record, holder, now)
        assert record is not None
        return record

    # -- re-validation and sending --------------------------------------------------------------------

    def check(self, ticket_id: TicketId | str, actor: Principal, body: str) -> Revalidation:
        """Validate ``body`` as the reply without sending it (a dry run)."""
        record = self._held(ticket_id, holder_of(actor))
        return self._revalidate(record, _body(body))

    def _revalidate(self, record: ReviewRecord, body: str) -> Revalidation:
        pipeline = self._pipeline
        ticket = pipeline.intake.run(self._tickets.load_ticket(record.ticket_id))
        view = self._tickets.view(record.ticket_id)
        decided = view.decision if view is not None and view.decision is not None else None
        decision = (
            dataclasses.replace(decided, route=Route.AUTO)
            if decided is not None
            else Decision(route=Route.AUTO, intent=None, confidence=0.0)
        )
        try:
            context = pipeline.context.run(ticket, decision)
        except Exception:  # a source down must not stop a person's reply: check against the ticket alone
            context = ContextPack(None, (), (), ticket.history, rendered="", tokens=0)
        draft = Draft(reply=body, action="reply", confidence=1.0)
        results = pipeline.validator.run(ticket, decision, context, draft)
        blocking = set(self._settings.blocking_checks)
        return Revalidation(
            tuple(
                RecheckResult(r.name, r.verdict is Verdict.PASS, r.name in blocking, r.evidence)
                for r in results
            )
        )

    def approve(self, ticket_id: TicketId | str, actor: Principal) -> Revalidation:
        """Send the draft as it is (validated again); ``ReplyBlocked`` when a blocking check fails."""
        record = self._held(ticket_id, holder_of(actor))
        draft = record.handoff.suggested_reply
        if not draft:
            raise ReviewConflict(f"ticket {ticket_id} has no draft to approve: write a reply and send it")
        return self._send(record, actor, draft, ReviewAction.APPROVE)

    def send(self, ticket_id: TicketId | str, actor: Principal, body: str) -> Revalidation:
        """Send an edited or new reply, validated again; ``ReplyBlocked`` when a blocking check fails.
        Returns the revalidation (its warnings did not block)."""
        record = self._held(ticket_id, holder_of(actor))
        return self._send(record, actor, _body(body), ReviewAction.SEND)

    def _send(self, record: ReviewRecord, actor: Principal, body: str, action: ReviewAction) -> Revalidation:
        revalidation = self._revalidate(record, body)
        if revalidation.blocked:
            raise ReplyBlocked(revalidation)
        holder = holder_of(actor)
        now = self._clock()
        diff = draft_diff(record.handoff.suggested_reply, body)
        entry = ReviewEntry(action, holder, now, diff=diff, body=body)
        done, after = self._records.close(record.ticket_id, holder, now, ReviewStatus.SENT, entry)
        if not done:  # the lease ran out or another request closed it while the checks ran
            self._refuse(record.ticket_id, after, holder, now)
        self._dispatch(record.ticket_id, record.conversation_id, body)
        return revalidation

    def resume(self) -> int:
        """Hand again to the sender every reviewed reply closed ``sent`` but not delivered (a process died
        between the two); the workflow id makes it a no-op for those already enqueued. Returns how many."""
        pending = self._records.unsent()
        for ticket_id, body in pending:
            record = self._records.find(ticket_id)
            if record is not None:
                self._dispatch(ticket_id, record.conversation_id, body)
        return len(pending)

    # -- closing without a reply, reassigning ---------------------------------------------------------

    def reject(self, ticket_id: TicketId | str, actor: Principal, reason: str) -> ReviewItem:
        """Close the review without a reply, recording ``reason``."""
        reason = reason.strip()
        if not reason:
            raise _invalid("reason", "give a reason for the rejection")
        if len(reason) > MAX_REASON_CHARS:
            raise _invalid("reason", f"is longer than {MAX_REASON_CHARS} characters")
        holder = holder_of(actor)
        now = self._clock()
        entry = ReviewEntry(ReviewAction.REJECT, holder, now, reason=reason)
        done, record = self._records.close(TicketId(ticket_id), holder, now, ReviewStatus.REJECTED, entry)
        if not done:
            self._refuse(ticket_id, record, holder, now)
        assert record is not None
        return self._item(record, now)

    def reassign(self, ticket_id: TicketId | str, actor: Principal, to: str) -> ReviewItem:
        """Hand the review to ``to`` (a holder id such as ``user:alice``): the lease is released."""
        to = to.strip()
        if not to or len(to) > 200:
            raise _invalid("to", "whom to reassign the review to (1 to 200 characters), e.g. user:alice")
        holder = holder_of(actor)
        now = self._clock()
        done, record = self._records.reassign(TicketId(ticket_id), holder, now, to)
        if not done:
            self._refuse(ticket_id, record, holder, now)
        assert record is not None
        return self._item(record, now)


def _before(now: datetime, age: timedelta | None) -> datetime | None:
    """``now - age``; None for no age, and the earliest time for an age reaching past year 1."""
    if age is None:
        return None
    try:
        return now - age
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _body(body: str) -> str:
    """A reply as a person wrote it, refused when empty or too long (``InputError``, a 422)."""
    if not body.strip():
        raise _invalid("body", "the reply is empty")
    if len(body) > MAX_BODY_CHARS:
        raise _invalid("body", f"the reply is longer than {MAX_BODY_CHARS} characters")
    return body


def _invalid(where: str, problem: str) -> InputError:
    return InputError(f"{where}: {problem}", [{"where": f"body.{where}", "problem": problem}])
