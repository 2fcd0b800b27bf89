"""Verified resolution in ``ticketflow eval``, when the file's labels say what the customer did next.

Two optional labels (docs/feedback.md):

- ``follow_up``: the customer's next message after the answer (a string), or null when they did not come
  back; ``follow_up_after_hours`` (default 1) says when it came, so a late one falls outside the window;
- ``resolved``: a bool, whether the answer resolved the ticket (the customer confirmed it, or the helpdesk
  recorded it so).

Over the records the pipeline answered automatically (outcome ``sent``), each is judged by the same
:func:`~ticketflow.domain.resolution.resolve` the store uses, once the window has closed: ``resolved`` taken
as the verdict where present, else the ``follow_up`` judged. Where both labels are present, how often the
follow-up's judgement agrees with ``resolved`` is reported too: that measures the confirmation detector.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketflow.domain.feedback import Rating
from ticketflow.domain.ids import TicketId
from ticketflow.domain.outcome import Outcome
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.resolution import DEFAULT_WINDOW, Answer, FollowUp, State, resolve
from ticketflow.domain.result import TicketResult

ANSWERED = datetime(2026, 1, 1, tzinfo=UTC)
"""A fixed stand-in for when the answer left: only the follow-up's delay matters."""


def _follow_up(record: EvalRecord) -> FollowUp | None:
    text = record.labels.get("follow_up")
    if not isinstance(text, str) or not text.strip():
        return None
    hours = record.labels.get("follow_up_after_hours", 1)
    delay = timedelta(hours=float(hours)) if isinstance(hours, int | float) else timedelta(hours=1)
    return FollowUp(ANSWERED + delay, text)


def _judged(record: EvalRecord, window: timedelta) -> State:
    closed = ANSWERED + window
    return resolve(Answer(TicketId(record.id), ANSWERED, _follow_up(record)), closed, window).state


def resolution_scores(
    pairs: Sequence[tuple[EvalRecord, TicketResult]], window: timedelta = DEFAULT_WINDOW
) -> dict[str, Any] | None:
    """The ``verified_resolution`` block of the eval report, or None when no record has the labels."""
    labelled = [(r, res) for r, res in pairs if "resolved" in r.labels or "follow_up" in r.labels]
    if not labelled:
        return None
    sent = [r for r, res in labelled if res.delivery.outcome is Outcome.SENT]
    states = []
    for record in sent:
        if isinstance(record.labels.get("resolved"), bool):
            rating = Rating.GOOD if record.labels["resolved"] else Rating.BAD
            answer = Answer(TicketId(record.id), ANSWERED, rating=rating)
            states.append(resolve(answer, ANSWERED + window, window).state)
        else:
            states.append(_judged(record, window))
    resolved = states.count(State.RESOLVED)
    both = [r for r, _ in labelled if isinstance(r.labels.get("resolved"), bool) and "follow_up" in r.labels]
    agree = sum(1 for r in both if (_judged(r, window) is State.RESOLVED) == r.labels["resolved"])
    return {
        "labelled": len(labelled),
        "sent": len(sent),
        "resolved": resolved,
        "reopened": states.count(State.REOPENED),
        "automation_rate": len(sent) / len(labelled),
        "verified_resolution_rate": resolved / len(labelled),
        "resolved_share_of_sent": resolved / len(sent) if sent else 0.0,
        "follow_up_agreement": agree / len(both) if both else None,
        "window_hours": window / timedelta(hours=1),
    }
