"""Fill a store with tickets spread over past days, by running the workspace's examples through the pipeline.

Reports and their tests need periods with realistic traffic in them: this takes the workspace's labelled
examples (the demo's tickets), gives each copy a fresh id and an arrival time drawn over the days asked for
(busier on weekdays and in the working day), and handles it in-process, so every row a report reads (the
outcome, checks, stage timings, ledger) is one the real pipeline wrote.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from ticketflow.domain.ids import thread_ref
from ticketflow.domain.records import EvalRecord
from ticketflow.evals.records import message_from_record
from ticketflow.wiring.engine import Engine

WEEKDAY_WEIGHT = (1.0, 1.0, 1.0, 1.0, 0.9, 0.5, 0.4)
"""Relative traffic Monday to Sunday."""


def arrival_times(start: datetime, days: int, count: int, rng: random.Random) -> list[datetime]:
    """``count`` arrival times over ``days`` days from ``start``, sorted: weekdays busier, mostly by day."""
    weights = [WEEKDAY_WEIGHT[(start + timedelta(days=d)).weekday()] for d in range(days)]
    picked = rng.choices(range(days), weights=weights, k=count)
    times = []
    for day in picked:
        hour = min(max(rng.triangular(6.0, 22.0, 13.0), 0.0), 23.99)
        times.append(start + timedelta(days=day, hours=hour))
    return sorted(times)


def seed_period(
    engine: Engine,
    records: Sequence[EvalRecord],
    *,
    start: datetime,
    days: int,
    count: int,
    rng: random.Random,
    tag: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Handle ``count`` copies of ``records`` (drawn at random) arriving over ``days`` from ``start``; ``tag``
    keeps their ids apart from other seeded periods'. How many were handled."""
    if engine.store is None:
        raise ValueError("seeding needs an engine with a store")
    chosen = rng.choices(list(records), k=count) if count > len(records) else rng.sample(list(records), count)
    for n, (record, at) in enumerate(zip(chosen, arrival_times(start, days, count, rng), strict=True)):
        base = message_from_record(record)
        external = f"{tag}-{n:05d}-{record.id}"
        message = replace(base, external_id=external, conversation_ref=external, received_at=at)
        if record.history:
            ref = thread_ref(message.external_id, message.conversation_ref)
            engine.store.import_history(record.history, channel=record.channel, external_ref=ref)
        engine.handle(message)
        if progress is not None:
            progress(1)
    return count
