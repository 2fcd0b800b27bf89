"""Off-peak generation through a provider's batch API (Claude's Message Batches: 50% off, ends within 24 h).

The durable runtime submits the requests of the tickets that may wait as one batch, polls it until it ends,
and reads one :class:`Draft` per request, keyed by the custom id it gave the request.

A batch cannot be recalled and the API takes no idempotency key, so the one guarantee that matters, that
no request is paid for in two batches, is kept on our side by :class:`BatchClaims`: a request is claimed
(durably, unique per ticket and attempt) before it is submitted, and a claimed request is never submitted
again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ticketflow.domain.draft import Draft
from ticketflow.ports.provider import GenerationRequest

ClaimState = Literal["claimed", "submitted", "failed", "in_doubt"]
"""``claimed``: about to be submitted; ``submitted``: in batch ``batch_id``; ``failed``: the submission was
refused; ``in_doubt``: the claimant died while submitting, so the batch may or may not exist."""


class BatchProvider(Protocol):
    """A provider that drafts through a batch API, at the batch price and within 24 hours.

    Submitting is not idempotent: the caller claims each request in :class:`BatchClaims` first.
    """

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


@dataclass(frozen=True, slots=True)
class BatchClaim:
    """One generation request (a ticket's attempt) claimed for a batch."""

    ticket_id: str
    attempt: int
    workflow_id: str
    """The ticket workflow waiting for this request's draft."""
    custom_id: str
    """The request's id inside its batch, where its result is read from."""
    claimed_by: str
    state: ClaimState
    batch_id: str | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """What :meth:`BatchClaims.claim` got. ``resumed``: the claimant had claimed before (its earlier run
    died), so ``claims`` are those earlier ones and nothing new was claimed."""

    claims: tuple[BatchClaim, ...]
    resumed: bool = False


class BatchClaims(Protocol):
    """Durable claims on generation requests, so no request is submitted (and paid for) in two batches."""

    def claim(self, claimant: str, requests: Sequence[tuple[str, int, str]]) -> Claimed:
        """Claim ``(ticket id, attempt, workflow id)`` requests for ``claimant``'s batch, skipping any that
        are claimed already (by anyone, in any state); committed before this returns."""
        ...

    def submitted(self, claimant: str, batch_id: str) -> None:
        """Record that ``claimant``'s claims were submitted as ``batch_id``."""
        ...

    def settle(self, claimant: str, state: ClaimState, error: str) -> None:
        """Record that ``claimant``'s unsubmitted claims will not be submitted (``failed``/``in_doubt``)."""
        ...

    def find(self, ticket_id: str, attempt: int) -> BatchClaim | None:
        """The claim of a ticket's attempt, if it was ever claimed."""
        ...
