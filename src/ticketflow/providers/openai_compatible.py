"""A provider for local OpenAI-compatible servers (Ollama, vLLM, llama.cpp): data stays in-house.

One ``generate`` call is ``POST {base_url}/chat/completions`` with the system prompt and the ticket's
prompt as two messages, asking for the reply schema through ``response_format`` (``json_schema``,
strict). The result is the same structured :class:`Draft` as the Claude provider's: output that does not
parse or breaks the schema is asked for once more, then handed off (``invalid_output``), never sent; a
server that cannot be reached or answers an error hands off (``provider_unavailable``). Every HTTP attempt
is a :class:`Usage` ledger row, with the tokens from the response's ``usage`` and a cost of 0 unless prices
are configured. With an attempt journal (``ports.attempts``) each attempt is journaled before it is sent and
settled after, as the Claude provider does, so one lost with a killed process is still ledgered.

Plain ``httpx``: these servers speak the same small wire format, so no SDK is needed. It is imported when a
provider is made, so engines that use another provider never load it.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from ticketflow.domain.draft import Draft, Usage
from ticketflow.domain.tokens import estimate_tokens
from ticketflow.ports.attempts import AttemptJournal
from ticketflow.ports.provider import GenerationRequest
from ticketflow.providers.schema import draft_from_json

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("ticketflow.providers.openai_compatible")


class OpenAICompatibleProvider:
    """``Provider`` on ``/chat/completions``. ``base_url`` includes the API prefix, e.g.
    ``http://localhost:11434/v1`` for Ollama or ``http://localhost:8000/v1`` for vLLM."""

    name = "openai-compatible"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        schema: dict[str, Any],
        api_key: str | None = None,
        timeout_s: float = 30.0,
        input_usd_per_million: float = 0.0,
        output_usd_per_million: float = 0.0,
        purpose: str = "generation",
        transport: httpx.BaseTransport | None = None,
        journal: AttemptJournal | None = None,
    ) -> None:
        self.model = model
        self._journal = journal
        self._schema = schema
        self._prices = (input_usd_per_million, output_usd_per_million)
        self._purpose = purpose
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout_s, transport=transport
        )

    def close(self) -> None:
        self.client.close()

    def generate(self, request: GenerationRequest) -> Draft:
        usages: list[Usage] = []
        for _ in range(2):  # one retry for output that does not parse or breaks the schema
            outcome = self._call(request, usages)
            if isinstance(outcome, Draft):
                return outcome
            if outcome == "unavailable":
                return Draft.handoff("provider_unavailable", attempt=request.attempt, usage=tuple(usages))
            log.warning("model output invalid ticket=%s: %s", request.ticket.id, outcome)
        return Draft.handoff("invalid_output", attempt=request.attempt, usage=tuple(usages))

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.prompt},
            ],
            "max_tokens": request.max_output_tokens,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": self._schema, "strict": True},
            },
        }

    def _call(self, request: GenerationRequest, usages: list[Usage]) -> Draft | str:
        """One HTTP attempt: a draft, ``"unavailable"``, or a description of why the output is unusable."""
        import httpx

        attempt_id = self._began(request)
        started = time.perf_counter()
        try:
            response = self.client.post("chat/completions", json=self._body(request))
            payload: Any = response.json() if response.status_code < 400 else None
        except (httpx.HTTPError, ValueError) as exc:
            usages.append(
                self._usage({}, started, len(usages) + 1, f"error:0:{type(exc).__name__}", attempt_id)
            )
            self._settle(attempt_id, None, None)
            log.warning("local model call failed ticket=%s: %s", request.ticket.id, exc)
            return "unavailable"
        if not isinstance(payload, dict):
            usages.append(
                self._usage({}, started, len(usages) + 1, f"error:{response.status_code}", attempt_id)
            )
            self._settle(attempt_id, None, response.status_code)
            log.warning("local model answered %s ticket=%s", response.status_code, request.ticket.id)
            return "unavailable"
        choice = (payload.get("choices") or [{}])[0]
        finish = choice.get("finish_reason")
        usage = self._usage(payload.get("usage") or {}, started, len(usages) + 1, finish, attempt_id)
        usages.append(dataclasses.replace(usage, request_id=payload.get("id")))
        self._settle(attempt_id, usages[-1], None)
        text = (choice.get("message") or {}).get("content") or ""
        return draft_from_json(text, self._schema, usages, request.attempt, f"finish_reason={finish}")

    def _began(self, request: GenerationRequest) -> str | None:
        """Journal the attempt about to be sent (its id), bounded by the prompt's estimated tokens at the
        configured input price and ``max_tokens`` at the output price; None without a journal."""
        if self._journal is None:
            return None
        per_input, per_output = self._prices
        tokens = estimate_tokens(request.system) + estimate_tokens(request.prompt)
        estimate = round((tokens * per_input + request.max_output_tokens * per_output) / 1_000_000, 9)
        attempt_id = uuid.uuid4().hex
        self._journal.began(request.ticket.id, attempt_id, self.model, self._purpose, estimate)
        return attempt_id

    def _settle(self, attempt_id: str | None, usage: Usage | None, status: int | None) -> None:
        """Settle the journaled attempt; a journal that cannot be written leaves it in doubt (logged)."""
        if self._journal is None or attempt_id is None:
            return
        try:
            if usage is not None:
                self._journal.settled(attempt_id, usage)
            else:
                self._journal.failed(attempt_id, status, None)
        except Exception:
            log.exception("attempt %s could not be settled in the journal: it stays in doubt", attempt_id)

    def _usage(
        self, usage: dict[str, Any], started: float, number: int, stop: str | None, attempt_id: str | None
    ) -> Usage:
        prompt = int(usage.get("prompt_tokens") or 0)
        completion = int(usage.get("completion_tokens") or 0)
        per_input, per_output = self._prices
        return Usage(
            model=self.model,
            input_tokens=prompt,
            output_tokens=completion,
            cost_usd=round((prompt * per_input + completion * per_output) / 1_000_000, 9),
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            attempt=number,
            stop_reason=stop[:32] if stop else None,
            purpose=self._purpose,
            attempt_id=attempt_id,
        )
