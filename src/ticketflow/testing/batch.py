"""Fakes of the batch ports: a batch API that drafts through a provider, and claims kept in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ticketflow.domain.draft import Draft
from ticketflow.ports.batch import BatchClaim, Claimed, ClaimState
from ticketflow.ports.provider import GenerationRequest, Provider


@dataclass
class ProviderBatches:
    """A ``BatchProvider`` that drafts each request of a batch with ``provider`` when it is submitted.

    A batch ends after ``polls`` checks of ``batch_ended`` that said it had not (0: at once). ``batches``
    keeps what each batch was asked, and ``retry`` is an inline call to the same provider.
    """

    provider: Provider
    polls: int = 0
    batches: dict[str, dict[str, GenerationRequest]] = field(default_factory=dict)
    _results: dict[str, dict[str, Draft]] = field(default_factory=dict, init=False, repr=False)
    _polls_left: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def submit_batch(self, requests: Mapping[str, GenerationRequest]) -> str:
        batch_id = f"batch_{len(self.batches) + 1}"
        self.batches[batch_id] = dict(requests)
        self._results[batch_id] = {cid: self.provider.generate(r) for cid, r in requests.items()}
        self._polls_left[batch_id] = self.polls
        return batch_id

    def batch_ended(self, batch_id: str) -> bool:
        if self._polls_left[batch_id] <= 0:
            return True
        self._polls_left[batch_id] -= 1
        return False

    def batch_results(self, batch_id: str) -> dict[str, Draft]:
        return dict(self._results[batch_id])

    def retry(self, request: GenerationRequest) -> Draft:
        return self.provider.generate(request)


@dataclass
class MemoryBatchClaims:
    """A ``BatchClaims`` in a list, with the guarantees of the ``batch_items`` table: a request is claimed
    once ever (by anyone, in any state), and a claimant that claimed before gets its earlier claims back."""

    claims: list[BatchClaim] = field(default_factory=list)

    def _of(self, claimant: str) -> tuple[BatchClaim, ...]:
        return tuple(c for c in self.claims if c.claimed_by == claimant)

    def claim(self, claimant: str, requests: Sequence[tuple[str, int, str]]) -> Claimed:
        earlier = self._of(claimant)
        if earlier:
            return Claimed(earlier, resumed=True)
        for ticket_id, attempt, workflow_id in requests:
            if self.find(ticket_id, attempt) is None:
                custom_id = f"{ticket_id}-{attempt}"
                self.claims.append(
                    BatchClaim(ticket_id, attempt, workflow_id, custom_id, claimant, "claimed")
                )
        return Claimed(self._of(claimant))

    def submitted(self, claimant: str, batch_id: str) -> None:
        self._move(claimant, "submitted", batch_id)

    def settle(self, claimant: str, state: ClaimState, error: str) -> None:
        self._move(claimant, state, None)

    def find(self, ticket_id: str, attempt: int) -> BatchClaim | None:
        return next((c for c in self.claims if (c.ticket_id, c.attempt) == (ticket_id, attempt)), None)

    def _move(self, claimant: str, state: ClaimState, batch_id: str | None) -> None:
        """Move ``claimant``'s claims still in state ``claimed`` to ``state`` (and its batch, if any)."""
        self.claims = [
            dataclasses.replace(c, state=state, batch_id=batch_id or c.batch_id)
            if c.claimed_by == claimant and c.state == "claimed"
            else c
            for c in self.claims
        ]
