"""Ledger audit: no personal data in any prompt sent to a model while the sample store's tickets run.

Every request the provider receives is recorded; its system prompt and prompt must hold no customer's full
name, email address or phone number from the customer records, and nothing the detector calls an email,
phone, card, IBAN or SSN apart from the company's own published contacts. The same audit on an engine
without masking must find personal data, so the audit itself is known to work.
"""

from __future__ import annotations

import csv
import re

import pytest

from support import STORE
from ticketflow.domain.draft import Draft
from ticketflow.evals.records import read_records, ticket_from_record
from ticketflow.pipeline.generation import Generator
from ticketflow.ports.provider import GenerationRequest, Provider
from ticketflow.privacy.masking import published_values
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

SENSITIVE = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN"}


class Recording:
    """Wraps a provider and keeps every request it was sent."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.name = inner.name
        self.requests: list[GenerationRequest] = []

    def generate(self, request: GenerationRequest) -> Draft:
        self.requests.append(request)
        return self.inner.generate(request)


def _customer_values() -> list[str]:
    with (STORE / "customers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [v for row in rows for v in (row["name"], row["email"], row["phone"]) if v]


def _audit(engine: Engine, recorder: Recording) -> list[str]:
    records = read_records(STORE / "examples.jsonl")
    for record in records:
        engine.process(ticket_from_record(record))
    assert recorder.requests, "no ticket reached the model: the audit would prove nothing"
    detector = engine.pii_detector
    published = {p.lower() for p in published_values(detector, [d.body for d in engine.workspace.policies])}
    published |= {p.lower() for p in published_values(detector, [d.body for d in engine.workspace.articles])}
    values = _customer_values()
    leaks: list[str] = []
    for request in recorder.requests:
        sent = request.system + "\n" + request.prompt
        leaks += [
            f"record value {v!r}" for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", sent, re.I)
        ]
        for span in detector.find(request.prompt):
            value = span.text_in(request.prompt)
            if span.type in SENSITIVE and value.lower() not in published:
                leaks.append(f"{span.type} {value!r}")
    return leaks


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings.load(STORE, data_dir=tmp_path_factory.mktemp("var"))


def _engine(settings: Settings, models: TrainedModels) -> tuple[Engine, Recording]:
    base = Engine.from_workspace(settings=settings, with_store=False, models=models)
    recorder = Recording(base.provider)
    return Engine(base.settings, base.workspace, base.models, None, provider=recorder), recorder


def test_no_prompt_sent_to_a_model_holds_personal_data(
    settings: Settings, store_models: TrainedModels
) -> None:
    engine, recorder = _engine(settings, store_models)

    assert _audit(engine, recorder) == []
    assert any("<PERSON_" in r.prompt for r in recorder.requests)  # customers' names were there, and masked


def test_the_audit_finds_personal_data_when_masking_is_off(
    settings: Settings, store_models: TrainedModels
) -> None:
    engine, recorder = _engine(settings, store_models)
    unmasked = engine.pipeline.generator
    engine.pipeline.generator = Generator(recorder, unmasked.system_prompt, masker=None)

    assert _audit(engine, recorder) != []


def test_masking_keeps_the_reply_personal(settings: Settings, store_models: TrainedModels) -> None:
    engine, _ = _engine(settings, store_models)
    records = read_records(STORE / "examples.jsonl")
    results = [engine.process(ticket_from_record(r)) for r in records[:80]]
    greeted = [r for r in results if r.draft and r.context and r.context.customer and r.draft.reply]

    assert greeted, "no drafted reply for a known customer in the sample"
    for result in greeted:
        assert result.draft is not None and result.context is not None and result.context.customer is not None
        assert "<PERSON_" not in result.draft.reply
        assert result.context.customer.first_name in result.draft.reply
