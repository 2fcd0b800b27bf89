"""``ticketflow demo``: every example ticket of a workspace through the durable runtime, then a report.

The demo runs on its own fresh SQLite files under ``var/demo/`` (so it can be repeated, and never touches
the workspace's real database), with the workspace's settings otherwise. The examples are split into
``FOLDS`` folds and each fold is processed by an engine whose router and search index were built from the
other folds only, so the report's routing figures are earned on tickets the models have not seen.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ticketflow.domain.ids import thread_ref
from ticketflow.domain.pricing import PRICED_MODELS, cost_usd
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult
from ticketflow.errors import ConfigError
from ticketflow.evals.records import message_from_record
from ticketflow.evals.runner import folds
from ticketflow.evals.summary import claude_usage, held_out_routing, ledger_line, summarise
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.feedback import window

FOLDS = 5
"""The demo reports every example, each routed by models trained on the other folds: figures it earned."""
MIN_FOR_FOLDS = 50


def run_demo(
    workspace: Path, *, console: Console | None = None, provider: str | None = None
) -> dict[str, Any]:
    """Run the workspace's example tickets through the durable runtime, and return the report.

    Each run starts from empty SQLite files in ``var/demo/`` (deleted first) and writes the ledger there.
    Raises ``ConfigError`` when the workspace has no examples; ``provider`` overrides the settings' provider.
    """
    console = console or Console(stderr=True)
    base = Settings.load(workspace, **({"provider": provider} if provider else {}))
    demo_dir = base.var_dir / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    settings = base.model_copy(
        update={
            "database_url": f"sqlite:///{(demo_dir / 'ticketflow.sqlite').resolve()}",
            "system_database_url": f"sqlite:///{(demo_dir / 'dbos.sqlite').resolve()}",
        }
    )
    engine = Engine.from_workspace(settings=settings)
    started = datetime.now(UTC)
    records = engine.workspace.examples
    if not records:
        raise ConfigError(f"{engine.workspace.examples_path}: the demo needs example tickets to run")
    assert engine.store is not None
    k = FOLDS if len(records) >= MIN_FOR_FOLDS else 1
    splits = folds(records, k) if k > 1 else [(list(range(len(records))), list(range(len(records))))]
    results: list[TicketResult] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(
        *columns, console=console, transient=True, redirect_stdout=False, redirect_stderr=False
    ) as bar:
        done = bar.add_task("processing", total=len(records))
        for n, (train, test) in enumerate(splits, start=1):
            bar.update(done, description=f"fold {n} of {len(splits)}" if k > 1 else "processing")
            fold = engine.held_out([records[i] for i in train]) if k > 1 else engine
            results += _run_fold(fold, [records[i] for i in test], lambda: bar.advance(done))
    ledger_path = demo_dir / "ledger.jsonl"
    with ledger_path.open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(ledger_line(result)) + "\n")
    report = summarise(results, PRICED_MODELS, str(ledger_path))
    report["held_out_routing"] = held_out_routing(records, results) if k > 1 else None
    report["routing_trained_on"] = (
        f"each ticket was routed and searched by models trained on the other {k - 1} of {k} folds of "
        "examples.jsonl (and intents.yaml), never on itself"
        if k > 1
        else f"fewer than {MIN_FOR_FOLDS} examples: routed by models trained on these same tickets, so "
        "routing figures are optimistic"
    )
    report["verified_resolution"] = verified_resolution(engine, started)
    report["workspace"] = str(workspace)
    report["provider"] = settings.resolved_provider
    if engine.uses_claude:
        report["claude"] = claude_usage(results, cost_usd, cache_ttl=settings.anthropic.cache_ttl)
        report["claude"]["cache_note"] = engine.cache_note()
    engine.close()
    return report


def _run_fold(engine: Engine, records: list[EvalRecord], advance: Callable[[], None]) -> list[TicketResult]:
    """Submit ``records`` to a durable runtime over ``engine`` and wait for each result."""
    assert engine.store is not None
    with Runtime(engine) as runtime:
        ids = []
        for record in records:
            message = message_from_record(record)
            if record.history:  # on the thread the message names, so accepting it joins these turns
                ref = thread_ref(message.external_id, message.conversation_ref)
                engine.store.import_history(record.history, channel=record.channel, external_ref=ref)
            ids.append(runtime.submit(message)[0])
        results = []
        for ticket_id in ids:
            results.append(runtime.result(ticket_id, timeout=120))
            advance()
    return results


def verified_resolution(engine: Engine, since: datetime) -> dict[str, Any]:
    """How the demo's automated answers stand, measured (not simulated) from its own store.

    Nobody writes back during a demo, so every answer is still inside its window: ``pending``, and the
    verified rate unknown. That is the honest figure; a live deployment fills it in as customers reply
    (or rate the answer) and as windows close.
    """
    assert engine.store is not None
    now = datetime.now(UTC)
    span = window(engine.settings.feedback)
    summary = engine.store.feedback.resolution_summary(since, now + timedelta(seconds=1), now, window=span)
    hours = span / timedelta(hours=1)
    return summary.as_dict() | {
        "window_hours": hours,
        "note": f"an answer is resolved once the customer confirms it or stays quiet for {hours:g} h; "
        "pending answers are still inside that window",
    }
