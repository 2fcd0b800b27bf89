"""Print stage latencies and throughput of the in-process pipeline on the sample workspace, the engine's own
(non-model) time per drafted ticket in-process and durable on SQLite, then start-up.

Figures are wall-clock on this machine, one process, one thread; run twice and compare, do not assert.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import context, overhead, startup, validation
from ticketflow.domain.decision import Route
from ticketflow.evals.metrics import percentile
from ticketflow.evals.records import read_records, ticket_from_record
from ticketflow.wiring.engine import Engine

WORKSPACE = Path(__file__).resolve().parents[1] / "examples" / "store"


def _measure(name: str, items: list[object], fn: Callable[[object], object], repeat: int = 3) -> None:
    times: list[float] = []
    for _ in range(repeat):
        for item in items:
            started = time.perf_counter()
            fn(item)
            times.append((time.perf_counter() - started) * 1000)
    total_s = sum(times) / 1000
    print(
        f"{name:<34} n={len(times):>5}  p50={percentile(times, 50):7.3f} ms"
        f"  p95={percentile(times, 95):7.3f} ms"
        f"  mean={statistics.fmean(times):7.3f} ms  throughput={len(times) / total_s:8.1f}/s"
    )


def main() -> None:
    engine = Engine.from_workspace(WORKSPACE, with_store=False)
    records = read_records(WORKSPACE / "examples.jsonl")
    tickets = [ticket_from_record(r) for r in records]
    pipeline = engine.pipeline
    for ticket in tickets[:20]:  # warm caches and lazy imports
        pipeline.process(ticket)
    print(
        f"workspace: {WORKSPACE.name}, {len(tickets)} tickets,"
        f" {len(engine.workspace.index)} knowledge chunks\n"
    )
    _measure("routing (all triage, no model call)", tickets, lambda t: pipeline.router.run(t))  # type: ignore[arg-type]
    decided = [(t, pipeline.router.run(t)) for t in tickets]
    auto = [(t, d) for t, d in decided if d.route is Route.AUTO]
    _measure("context (lookup+BM25+budget)", auto, lambda td: pipeline.context.run(*td))  # type: ignore[misc]
    contexts = [(t, d, pipeline.context.run(t, d)) for t, d in auto]
    _measure("generation (offline drafter)", contexts, lambda tdc: pipeline.generator.run(*tdc))  # type: ignore[misc]
    drafts = [(t, d, c, pipeline.generator.run(t, d, c)) for t, d, c in contexts]
    _measure("validation (all checks)", drafts, lambda tdcr: pipeline.validator.run(*tdcr))  # type: ignore[misc]
    checks = validation.validation_inputs(engine)
    _measure("validation, 7 checks, validation set", checks, lambda i: pipeline.validator.run(*i))  # type: ignore[misc]
    _measure("whole pipeline, in-process", tickets, lambda t: pipeline.process(t), repeat=1)  # type: ignore[arg-type]
    print()
    context.naive_ratio(engine, [c for _, _, c in contexts])
    context.bench_retrieval()
    context.bench_build()
    print()
    overhead.main([])
    print()
    startup.main()


if __name__ == "__main__":
    main()
