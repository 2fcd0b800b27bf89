"""The tracer the pipeline gets: OTLP/HTTP export when configured, none otherwise.

Tracing is on when ``[telemetry] otlp_endpoint`` (``TICKETFLOW_TELEMETRY__OTLP_ENDPOINT``) or the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set (the exporter also reads
``OTEL_EXPORTER_OTLP_HEADERS`` and the other standard variables), or when the process already installed a
global tracer provider (``opentelemetry-instrument``). Otherwise the pipeline has no tracer and makes no
spans. The SDK and the exporter are the ``otel`` extra; only ``opentelemetry-api`` is a core dependency.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from opentelemetry import trace
from opentelemetry.trace import ProxyTracerProvider, Tracer

from ticketflow.errors import ConfigError
from ticketflow.settings import Settings

EXTRA = "pip install 'ticketflow[otel]'"
ENV_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def traces_url(endpoint: str) -> str:
    """``http://host:4318`` → ``http://host:4318/v1/traces`` (as the standard base-endpoint variable)."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else f"{base}/v1/traces"


def tracer(settings: Settings) -> tuple[Tracer | None, Callable[[], None] | None]:
    """The pipeline's tracer and what flushes and stops its exporter (None, None: tracing is off)."""
    configured = settings.telemetry.otlp_endpoint
    from_env = any(os.environ.get(name) for name in ENV_ENDPOINTS)
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None, None
    if not configured and not from_env:
        installed = trace.get_tracer_provider()
        if isinstance(installed, ProxyTracerProvider):
            return None, None
        return installed.get_tracer("ticketflow"), None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise ConfigError(
            f"OTLP tracing is configured but the OpenTelemetry SDK is missing: {EXTRA}"
        ) from exc
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.telemetry.service_name}), shutdown_on_exit=True
    )
    exporter = OTLPSpanExporter(endpoint=traces_url(configured) if configured else None)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider.get_tracer("ticketflow"), provider.shutdown
