"""``ticketflow replay``: stored tickets run again through two arms of the pipeline, sending nothing.

::

    with replay_arms(settings_a, settings_b) as arms:            # wiring: both engines, one read-only store
        chosen = choose(arms.source.replayable(since, until), limit=200, sample="random", seed=0)
        run = replay(arms.a, arms.b, arms.source.stored_tickets(chosen))
        comparison = compare(run, resamples=2000, seed=0)    # replay_stats: paired differences, CIs

Arm A is the workspace as configured, arm B the same with the variants applied. Each stored ticket goes
through both with the text the store keeps and its conversation as it stood then; neither engine has a
store, so nothing is delivered or queued for review (paid attempts are ledgered under the arm's own id:
``storage.replay_ledger``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ticketflow.domain.ids import TicketId
from ticketflow.domain.replay import StoredTicket
from ticketflow.domain.result import TicketResult
from ticketflow.errors import ConfigError, InputError, TicketflowError
from ticketflow.wiring.engine import Engine

ERROR = "error"
"""The route and outcome of a ticket whose run raised (the error's text is its reason)."""


@dataclass(frozen=True, slots=True)
class ArmResult:
    """What one arm did with one ticket: route, outcome, final checks, and the model calls' tokens and cost.

    ``input_tokens`` counts every prompt token, cached or not; ``cost_usd`` is what the calls cost, or with
    the offline drafter what the arm's ``models.generation`` would have charged (a projection).
    """

    route: str
    outcome: str
    reason: str | None = None
    intent: str | None = None
    checks: tuple[tuple[str, str], ...] = field(default=())
    """``(check, verdict)`` of the last validation round, in the order the checks ran."""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    model_calls: int = 0

    @property
    def failed_checks(self) -> tuple[str, ...]:
        """The checks whose verdict was ``fail``."""
        return tuple(name for name, verdict in self.checks if verdict == "fail")


def arm_result(result: TicketResult) -> ArmResult:
    """The figures a replay compares, from one pipeline run."""
    calls = result.model_calls
    return ArmResult(
        route=result.decision.route.value,
        outcome=result.delivery.outcome.value,
        reason=result.delivery.reason,
        intent=result.decision.intent,
        checks=tuple((c.name, c.verdict.value) for c in result.checks),
        input_tokens=result.prompt_tokens,
        output_tokens=sum(u.output_tokens for u in calls),
        cost_usd=round(sum(u.cost_usd for u in calls), 8),
        model_calls=len(calls),
    )


@dataclass(frozen=True, slots=True)
class Replayed:
    """One stored ticket, what production recorded for it, and what each arm did with it now."""

    stored: StoredTicket
    a: ArmResult
    b: ArmResult

    @property
    def ticket_id(self) -> TicketId:
        """The stored ticket's id."""
        return self.stored.ticket.id

    def changes(self) -> tuple[str, ...]:
        """What differs between the arms: ``route``, ``outcome``, and ``check:<name>`` for each check whose
        verdict differs where both arms ran it, or that failed in the one arm that ran it (a check that
        passed where the other arm drafted nothing is no change); empty when the arms agree."""
        found = [what for what in ("route", "outcome") if getattr(self.a, what) != getattr(self.b, what)]
        verdicts_a, verdicts_b = dict(self.a.checks), dict(self.b.checks)
        for name in dict.fromkeys([*verdicts_a, *verdicts_b]):
            a, b = verdicts_a.get(name), verdicts_b.get(name)
            if a != b and ((a is not None and b is not None) or "fail" in (a, b)):
                found.append(f"check:{name}")
        return tuple(found)


@dataclass(frozen=True, slots=True)
class ReplayRun:
    """Every replayed ticket, in arrival order; ``stopped`` says why fewer than asked were replayed."""

    tickets: tuple[Replayed, ...]
    stopped: str | None = None

    @property
    def spent_usd(self) -> float:
        """What both arms' model calls cost (with the offline drafter, what they would have: a projection)."""
        return round(sum(t.a.cost_usd + t.b.cost_usd for t in self.tickets), 6)

    def changed(self) -> list[Replayed]:
        """The tickets whose route, outcome or a check's verdict differs between the arms."""
        return [t for t in self.tickets if t.changes()]


def parse_time(text: str, option: str) -> datetime:
    """``--since``/``--until``: a date (its midnight UTC) or an ISO time (UTC unless it names a zone)."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} {text!r}: give a date (2026-11-01) or an ISO time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def choose(ids: Sequence[TicketId], *, limit: int | None, sample: str, seed: int) -> list[TicketId]:
    """At most ``limit`` of ``ids`` (all when None): the oldest (``sample="first"``), the newest
    (``"last"``) or a seeded random draw (``"random"``), kept in arrival order."""
    if sample not in ("random", "first", "last"):
        raise ValueError(f"--sample {sample!r}: choose random, first or last")
    if limit is None or limit >= len(ids):
        return list(ids)
    if sample == "first":
        return list(ids[:limit])
    if sample == "last":
        return list(ids[len(ids) - limit :])
    picked = set(random.Random(seed).sample(range(len(ids)), limit))
    return [t for i, t in enumerate(ids) if i in picked]


def run_arm(engine: Engine, stored: StoredTicket) -> ArmResult:
    """One ticket through one arm; a deliberate failure (a provider down, a bad file) is recorded as an
    ``error`` outcome, not raised, so one ticket cannot end a long replay."""
    try:
        return arm_result(engine.process(stored.ticket))
    except TicketflowError as exc:
        return ArmResult(route=ERROR, outcome=ERROR, reason=f"{type(exc).__name__}: {exc}"[:300])


def replay(
    a: Engine,
    b: Engine,
    stored: Sequence[StoredTicket],
    *,
    progress: Callable[[int], None] | None = None,
    max_cost_usd: float | None = None,
) -> ReplayRun:
    """Run each stored ticket through arm ``a`` and then arm ``b``; ``progress(1)`` after each ticket.

    With ``max_cost_usd``, the replay stops before a ticket whose two runs could take the spend past it:
    the next ticket is expected to cost as much as the dearest one so far, so the cap is kept unless a
    ticket costs more than every one before it (the first ticket always runs). Engines with a store are
    refused: their delivery stage would send replies and queue reviews.
    """
    if a.store is not None or b.store is not None:
        raise ConfigError("replay engines must have no store (they would deliver); use wiring.replay")
    done: list[Replayed] = []
    spent = dearest = 0.0
    for ticket in stored:
        if max_cost_usd is not None and done and spent + dearest > max_cost_usd:
            return ReplayRun(
                tuple(done),
                stopped=f"stopped at the cost cap: ${spent:.4f} spent of --max-cost ${max_cost_usd:.4f}, "
                f"{len(done)} of {len(stored)} tickets replayed (the next could cost ${dearest:.4f})",
            )
        pair = Replayed(ticket, run_arm(a, ticket), run_arm(b, ticket))
        cost = pair.a.cost_usd + pair.b.cost_usd
        spent, dearest = spent + cost, max(dearest, cost)
        done.append(pair)
        if progress is not None:
            progress(1)
    return ReplayRun(tuple(done))
