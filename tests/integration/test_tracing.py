"""OpenTelemetry traces: a span per ticket, stage and model call carrying the ticket id and the ledger's
figures, in-process and on the durable runtime, exported over OTLP/HTTP to a loopback receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from support import STORE
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.testing.server import serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

DRAFTED = "Can I change the address on an order that has not shipped?"
STAGES = ["intake", "routing", "context", "generation", "validation", "delivery"]


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _message(external_id: str, text: str = DRAFTED) -> InboundMessage:
    return InboundMessage("chat", external_id, CustomerRef(email="lena@example.com"), text)


def _by_name(finished: tuple[ReadableSpan, ...]) -> dict[str, list[ReadableSpan]]:
    named: dict[str, list[ReadableSpan]] = {}
    for span in finished:
        named.setdefault(span.name, []).append(span)
    return named


def _check_ticket_trace(finished: tuple[ReadableSpan, ...], ticket_id: str, engine: Engine) -> None:
    named = _by_name(finished)
    (ticket,) = named["ticket"]
    assert ticket.attributes is not None and ticket.attributes["ticketflow.ticket_id"] == ticket_id
    stages = [s for s in finished if s.name.startswith("stage ")]
    assert [s.name.removeprefix("stage ") for s in sorted(stages, key=lambda s: s.start_time or 0)] == STAGES
    for stage in stages:
        assert stage.parent is not None and stage.parent.span_id == ticket.context.span_id
        assert stage.attributes is not None and stage.attributes["ticketflow.ticket_id"] == ticket_id
    (model,) = named["model generation"]
    (generation,) = named["stage generation"]
    assert model.parent is not None and model.parent.span_id == generation.context.span_id
    assert engine.store is not None
    (line,) = engine.store.ledger.lines(ticket_id)  # type: ignore[arg-type]
    attributes = model.attributes or {}
    assert attributes["ticketflow.ticket_id"] == ticket_id
    assert attributes["gen_ai.request.model"] == line.model
    assert attributes["gen_ai.usage.input_tokens"] == line.input_tokens
    assert attributes["gen_ai.usage.output_tokens"] == line.output_tokens
    assert attributes["ticketflow.cost_usd"] == pytest.approx(line.cost_usd)
    assert attributes["ticketflow.latency_ms"] == pytest.approx(line.latency_ms)
    assert ticket.attributes["ticketflow.cost_usd"] == pytest.approx(line.cost_usd)
    assert ticket.attributes["ticketflow.outcome"] in {"sent", "review", "escalated"}


def test_an_in_process_ticket_is_traced_per_stage_and_model_call(
    engine: Engine, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    engine.pipeline.tracer = provider.get_tracer("test")
    result = engine.handle(_message("trace-1"))
    assert result.draft is not None, "the sample question is drafted"
    _check_ticket_trace(exporter.get_finished_spans(), result.ticket.id, engine)


def test_a_canned_answer_has_no_model_span(
    engine: Engine, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    engine.pipeline.tracer = provider.get_tracer("test")
    engine.handle(_message("trace-2", "What payment methods do you take?"))
    names = [s.name for s in exporter.get_finished_spans()]
    assert "ticket" in names and not [n for n in names if n.startswith("model")]


@pytest.mark.slow
def test_a_durable_ticket_is_traced_from_inside_its_steps(
    engine: Engine, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    engine.pipeline.tracer = provider.get_tracer("test")
    with Runtime(engine) as runtime:
        ticket_id, _ = runtime.submit(_message("trace-3"))
        runtime.result(ticket_id)
    _check_ticket_trace(exporter.get_finished_spans(), ticket_id, engine)


def test_without_an_endpoint_the_pipeline_has_no_tracer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ticketflow.wiring.telemetry import tracer

    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert tracer(settings) == (None, None)


class OtlpReceiver:
    """A loopback OTLP/HTTP trace receiver: ``POST /v1/traces`` with a protobuf ExportTraceServiceRequest."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        self.content_types: list[str] = []
        self.arrived = threading.Event()

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/traces")
        async def traces(request: Request) -> Response:
            decoded = ExportTraceServiceRequest()
            decoded.ParseFromString(await request.body())
            self.requests.append(decoded)
            self.content_types.append(request.headers.get("content-type", ""))
            self.arrived.set()
            return Response(
                ExportTraceServiceRequest().SerializeToString(), media_type="application/x-protobuf"
            )

        return app

    def spans(self) -> list[tuple[str, dict[str, object]]]:
        found = []
        for request in self.requests:
            for resource in request.resource_spans:
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        attributes = {a.key: _value(a.value) for a in span.attributes}
                        found.append((span.name, attributes))
        return found


def _value(value: object) -> object:
    for kind in ("string_value", "int_value", "double_value", "bool_value"):
        if value.HasField(kind):  # type: ignore[attr-defined]
            return getattr(value, kind)
    return None


def test_spans_are_exported_over_otlp_http_when_an_endpoint_is_configured(
    tmp_path: Path, database_url: str, store_models: TrainedModels
) -> None:
    receiver = OtlpReceiver()
    with serve(receiver.app()) as server:
        settings = Settings.load(
            STORE,
            data_dir=tmp_path / "var",
            database_url=database_url,
            telemetry={"otlp_endpoint": server.url, "service_name": "tf-test"},
        )
        engine = Engine.from_workspace(settings=settings, models=store_models)
        try:
            result = engine.handle(_message("trace-4"))
        finally:
            engine.close()  # flushes the batch exporter
        assert receiver.arrived.wait(10)
    exported = receiver.spans()
    names = [name for name, _ in exported]
    assert "ticket" in names and "model generation" in names
    assert {"stage " + s for s in STAGES} <= set(names)
    assert all(attributes.get("ticketflow.ticket_id") == result.ticket.id for _, attributes in exported)
    assert receiver.content_types[0] == "application/x-protobuf"
    service = receiver.requests[0].resource_spans[0].resource.attributes
    assert {a.key: a.value.string_value for a in service}["service.name"] == "tf-test"
