"""Off-peak generation through a provider's batch API (Claude's Message Batches: 50% off, ends within 24 h).

The durable runtime submits the requests of the tickets that may wait as one batch, polls it until it ends,
and reads one :class:`Draft` per request, keyed by the custom id it gave the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ticketflow.domain.draft import Draft
from ticketflow.ports.provider import GenerationRequest


class BatchProvider(Protocol):
    def submit_batch(self, requests: Mapping[str, GenerationRequest]) -> str:
        """Submit ``{custom_id: request}`` as one batch; return the batch id."""
        ...

    def batch_ended(self, batch_id: str) -> bool:
        """Whether the batch has ended (its results can be read)."""
        ...

    def batch_results(self, batch_id: str) -> dict[str, Draft]:
        """One draft per custom id: a reply, or a handoff (errored, expired, cancelled, invalid output),
        each with its ledger rows at the batch price."""
        ...

    def retry(self, request: GenerationRequest) -> Draft:
        """One inline call, for a request whose batched output did not parse or broke the schema."""
        ...
