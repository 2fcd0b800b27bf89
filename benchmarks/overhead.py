"""Overhead: the engine's own time per drafted ticket, with the model's time taken out.

::

    python -m benchmarks.overhead [--backend sqlite|postgresql] [--database-url URL] [--tickets 120]
                                  [--durable-tickets 80] [--skip-durable] [--tracing off|sdk] [--json]

A *drafted* ticket is one the model was asked to draft (routed ``auto``, context found). For each one the
non-model time is the ticket's wall time minus the time spent inside the provider's ``generate`` (the
offline drafter, here the stand-in for the model; with no simulated latency it takes well under a
millisecond of its own).

- **in-process**: ``Pipeline.process`` on an engine without a store, as ``ticketflow eval`` runs it;
- **durable**: the ticket workflow on DBOS, one ticket at a time, started directly (no queue polling in
  the figure) on a store and system database of ``--backend``: the ticket is accepted first (untimed),
  then its workflow is started and awaited. PostgreSQL's ``public`` and ``dbos`` schemas are DROPPED.

``--tracing sdk`` gives the pipeline an OpenTelemetry SDK tracer whose spans are batched to an exporter
that drops them: the cost of making the spans, without the network (``off``, the default, is how a
process without ``[telemetry] otlp_endpoint`` runs: no tracer at all).

Figures are wall-clock on this machine; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._servers import WORKSPACE, make_backend, sample_messages
from ticketflow.domain.draft import Draft
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.evals.metrics import percentile
from ticketflow.evals.records import read_records, ticket_from_record
from ticketflow.ports.provider import GenerationRequest, Provider
from ticketflow.settings import Settings
from ticketflow.storage.repository import SqlStore
from ticketflow.wiring.engine import Engine


class TimedProvider:
    """The engine's own provider, with the time spent in ``generate`` added up (one ticket at a time: a
    durable workflow runs on a DBOS thread, so the sum is not per thread)."""

    def __init__(self, inner: Provider) -> None:
        self._inner = inner
        self.name = inner.name
        self.seconds = 0.0
        self.calls = 0

    def reset(self) -> None:
        self.seconds, self.calls = 0.0, 0

    def generate(self, request: GenerationRequest) -> Draft:
        started = time.perf_counter()
        try:
            return self._inner.generate(request)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1

    def __getattr__(self, name: str) -> Any:  # anything else the engine asks of its provider
        return getattr(self._inner, name)


TRACING = {"mode": "off"}


def _engine(settings: Settings, with_store: bool) -> tuple[Engine, TimedProvider]:
    probe = Engine.from_workspace(settings=settings, with_store=False)
    timed = TimedProvider(probe.provider)
    store = SqlStore.open(settings.resolved_database_url) if with_store else None
    engine = Engine(settings, probe.workspace, probe.models, store, provider=timed)
    if TRACING["mode"] == "sdk":
        engine.pipeline.tracer = _sdk_tracer()
    return engine, timed


def _sdk_tracer() -> Any:
    """An SDK tracer batching its spans to an exporter that drops them (span making, no network)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Dropping(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider(shutdown_on_exit=True)
    provider.add_span_processor(BatchSpanProcessor(Dropping()))
    return provider.get_tracer("benchmark")


def _figures(samples: list[float], cpu: list[float]) -> dict[str, float]:
    """Wall-clock percentiles, and the process's CPU time per ticket (steadier on a shared machine)."""
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "mean_ms": round(sum(samples) / len(samples), 2) if samples else 0.0,
        "cpu_p50_ms": round(percentile(cpu, 50), 2),
        "cpu_p95_ms": round(percentile(cpu, 95), 2),
    }


def span_cost(tickets: int = 2000) -> dict[str, float]:
    """CPU microseconds per ticket of the spans alone (one ticket, six stages, one model call), on the SDK
    tracer ``--tracing sdk`` uses: the part of the figures above that tracing adds, without their noise."""
    from ticketflow.domain.draft import Usage
    from ticketflow.pipeline.tracing import TicketTrace

    tracer = _sdk_tracer()
    draft = Draft(reply="", usage=(Usage("claude-sonnet-5-5", 500, 120, 0.0015, latency_ms=900.0),))
    stages = ("intake", "routing", "context", "generation", "validation", "delivery")
    results = {name: (draft if name == "generation" else None) for name in stages}

    def one() -> None:
        trace = TicketTrace(tracer)
        with trace.ticket():
            for name in stages:
                trace.stage(name, results.get)(name)

    for _ in range(200):
        one()
    started = time.process_time()
    for _ in range(tickets):
        one()
    return {
        "tickets": tickets,
        "cpu_us_per_ticket": round((time.process_time() - started) / tickets * 1e6, 1),
    }


def in_process(limit: int) -> tuple[dict[str, float], dict[str, float]]:
    """Non-model ms per drafted ticket in-process; and the mean per-stage ms over those tickets."""
    folder = Path(tempfile.mkdtemp(prefix="tf-overhead-"))
    settings = Settings.load(WORKSPACE, data_dir=folder / "var")
    engine, timed = _engine(settings, with_store=False)
    tickets = [ticket_from_record(r) for r in read_records(WORKSPACE / "examples.jsonl")]
    for ticket in tickets[:30]:  # lazy imports and first-use builds happen once per process
        engine.process(ticket)
    samples: list[float] = []
    cpu: list[float] = []
    stages: dict[str, float] = {}
    for ticket in tickets:
        timed.reset()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = engine.process(ticket)
        wall, spent = time.perf_counter() - started, time.process_time() - cpu_started
        if result.draft is None or not timed.calls:
            continue
        samples.append((wall - timed.seconds) * 1000)
        cpu.append(spent * 1000)
        for name, ms in result.timings_ms:
            stages[name] = stages.get(name, 0.0) + ms
        if len(samples) >= limit:
            break
    engine.close()
    return _figures(samples, cpu), {k: round(v / len(samples), 2) for k, v in stages.items()}


def durable(backend_kind: str, database_url: str | None, limit: int) -> dict[str, float]:
    """Non-model ms per drafted ticket as a DBOS workflow, one at a time."""
    from dbos import DBOS, SetWorkflowID

    from ticketflow.runtime.service import Runtime

    backend = make_backend(backend_kind, database_url, "overhead")
    settings = Settings.load(
        WORKSPACE,
        data_dir=backend.folder / "var",
        database_url=backend.app_url,
        system_database_url=backend.system_url,
    )
    engine, timed = _engine(settings, with_store=True)
    assert engine.store is not None
    samples: list[float] = []
    cpu: list[float] = []
    messages = sample_messages()
    try:
        with Runtime(engine) as runtime:
            workflows = runtime._workflows
            assert workflows is not None
            n = 0
            warm = 20
            while len(samples) < limit and n < 4 * limit + warm:
                customer, text = messages[n % len(messages)]
                ref = CustomerRef(id=customer.get("id"), email=customer.get("email"))
                accepted = engine.store.accept(InboundMessage("chat", f"overhead-{n}", ref, text))
                timed.reset()
                started, cpu_started = time.perf_counter(), time.process_time()
                with SetWorkflowID(accepted.workflow_id):
                    handle = DBOS.start_workflow(workflows.process_ticket, accepted.ticket_id, False)
                result = handle.get_result()
                wall, spent = time.perf_counter() - started, time.process_time() - cpu_started
                n += 1
                if n > warm and result.draft is not None and timed.calls:
                    samples.append((wall - timed.seconds) * 1000)
                    cpu.append(spent * 1000)
    finally:
        engine.close()
        backend.close()
    return _figures(samples, cpu)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (its schemas are DROPPED)")
    parser.add_argument("--tickets", type=int, default=120, help="drafted tickets measured in-process")
    parser.add_argument("--durable-tickets", type=int, default=80, help="drafted tickets measured durably")
    parser.add_argument("--skip-durable", action="store_true")
    parser.add_argument("--tracing", choices=("off", "sdk"), default="off", help="OpenTelemetry spans")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    TRACING["mode"] = args.tracing
    figures, stages = in_process(args.tickets)
    report: dict[str, Any] = {
        "tracing": args.tracing,
        "in_process": figures,
        "in_process_stage_mean_ms": stages,
    }
    if args.tracing == "sdk":
        report["span_cost"] = span_cost()
    if not args.skip_durable:
        report[f"durable_{args.backend}"] = durable(args.backend, args.database_url, args.durable_tickets)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print("non-model time per drafted ticket (wall time minus the provider's generate)")
        for key, value in report.items():
            print(f"  {key:<28} {value}")
    return report


if __name__ == "__main__":
    main()
