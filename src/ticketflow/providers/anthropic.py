"""The production provider: Claude through the official ``anthropic`` SDK (2.x).

One ``generate`` call asks for a structured reply (``output_config.format`` with the reply JSON schema)
under a system prompt sent as a text block marked with ``cache_control``, so the byte-identical prefix is
cached when it is long enough for the model (:meth:`AnthropicProvider.cache_status` says whether it is).

Every HTTP attempt, the SDK's own retries and failures included, becomes a :class:`Usage` in the returned
draft: model, request id, tokens (cache writes and reads apart), exact cost, latency, attempt, stop reason.
With an attempt journal (``ports.attempts``), each attempt of a ticket's call is also journaled before it is
sent, with an upper bound of its cost, and settled once its answer is read, so an attempt lost with a killed
process still reaches the ledger and the daily budget. The journal's id travels in the ``Usage`` and in an
``x-ticketflow-attempt`` request header (for tracing through gateways; the API ignores it).
The SDK retries 429/5xx honouring ``retry-after``; a spend-limit 429 (``enforced_spend_limit_reached``) is
marked not retryable, logged as an error and handed off (``spend_limit``). A reply that does not parse or
breaks the schema is asked for once more, then handed off (``invalid_output``): it is never sent. A
retired or unknown model raises :class:`ModelNotFound` (a ``ConfigError`` too) naming the setting to change.

The SDK is imported when a provider is made, not with this module: it takes a second or more to import, and
the offline path (and ``ticketflow --help``) never needs it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ticketflow.domain.draft import Draft, Usage
from ticketflow.domain.ids import TicketId
from ticketflow.domain.pricing import cost_usd, price_of
from ticketflow.domain.tokens import estimate_tokens
from ticketflow.errors import ModelNotFound, ProviderAuthError, ProviderUnavailable
from ticketflow.ports.attempts import AttemptJournal
from ticketflow.ports.provider import GenerationRequest
from ticketflow.providers.schema import draft_from_json, schema_errors

if TYPE_CHECKING:
    import httpx2
    from anthropic.types import OutputConfigParam, TextBlockParam
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
    from anthropic.types.messages.batch_create_params import Request

log = logging.getLogger("ticketflow.providers.anthropic")

SPEND_LIMIT_CODE = "enforced_spend_limit_reached"
ATTEMPT_HEADER = "x-ticketflow-attempt"
RETIREMENTS = {"claude-sonnet-4-5": "2026-11-30", "claude-sonnet-4-5-20250929": "2026-11-30"}
"""Deprecated models and the day they stop answering (../shared/FACTS.md)."""


@dataclass(frozen=True, slots=True)
class CacheStatus:
    """Whether the static prefix is long enough for the model to cache it."""

    prefix_tokens: int
    minimum_tokens: int

    @property
    def cacheable(self) -> bool:
        return self.prefix_tokens >= self.minimum_tokens

    def describe(self, model: str) -> str:
        verdict = "cached" if self.cacheable else "too short to be cached: no caching savings"
        size = f"static prefix ≈{self.prefix_tokens} tokens"
        return f"{size}, {model} caches from {self.minimum_tokens}: {verdict}"


@dataclass
class _Attempt:
    started: float
    attempt_id: str | None = None
    status: int | None = None
    request_id: str | None = None
    error_type: str | None = None
    error_code: str | None = None
    latency_ms: float = 0.0


@dataclass
class _Calls:
    """The HTTP attempts of the current ``generate`` call (per thread: workers share one client), and what
    journaling them needs: the ticket they are for (None: not journaled, e.g. batch endpoints) and the
    upper bound of one attempt's cost."""

    attempts: list[_Attempt] = field(default_factory=list)
    ticket_id: TicketId | None = None
    estimate: float = 0.0


def _error_fields(response: httpx2.Response) -> tuple[str | None, str | None]:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return None, None
    details = error.get("details") or {}
    return error.get("type"), details.get("error_code") if isinstance(details, dict) else None


class AnthropicProvider:
    """``Provider`` on the Messages API. ``api_key``/``base_url`` default to the SDK's environment variables
    (``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL``), so gateways and proxies work unchanged."""

    name = "anthropic"

    def __init__(
        self,
        *,
        model: str,
        schema: dict[str, Any],
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 2,
        cache_ttl: Literal["5m", "1h"] = "5m",
        setting: str = "models.generation",
        purpose: str = "generation",
        count_tokens: Callable[[str], int] = estimate_tokens,
        journal: AttemptJournal | None = None,
    ) -> None:
        self.model = model
        self._journal = journal
        self._schema = schema
        self._cache_ttl = cache_ttl
        self._setting = setting
        self._purpose = purpose
        self._count = count_tokens
        self._local = threading.local()
        self._statuses: dict[str, CacheStatus] = {}
        if model in RETIREMENTS:
            log.warning(
                "model %s is deprecated and retires on %s: set `%s` to a current model",
                model,
                RETIREMENTS[model],
                setting,
            )
            # said once here, in our log, instead of a DeprecationWarning from the SDK on every call
            warnings.filterwarnings(
                "ignore", message=f"The model '{re.escape(model)}' is deprecated", category=DeprecationWarning
            )
        import anthropic

        http = anthropic.DefaultHttpxClient(
            event_hooks={"request": [self._on_request], "response": [self._on_response]}
        )
        self.client = anthropic.Anthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=max_retries,
            http_client=http,
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    # -- per-attempt recording (httpx event hooks) --------------------------------------------------------

    def _calls(self) -> _Calls:
        calls: _Calls | None = getattr(self._local, "calls", None)
        if calls is None:
            calls = self._local.calls = _Calls()
        return calls

    def _on_request(self, request: httpx2.Request) -> None:
        calls = self._calls()
        attempt_id = None
        if self._journal is not None and calls.ticket_id is not None:
            attempt_id = uuid.uuid4().hex
            # before the request leaves: if the journal cannot be written, the attempt is not sent
            self._journal.began(calls.ticket_id, attempt_id, self.model, self._purpose, calls.estimate)
            request.headers[ATTEMPT_HEADER] = attempt_id
        calls.attempts.append(_Attempt(started=time.perf_counter(), attempt_id=attempt_id))

    def _on_response(self, response: httpx2.Response) -> None:
        attempts = self._calls().attempts
        if not attempts:
            return
        attempt = attempts[-1]
        attempt.status = response.status_code
        attempt.request_id = response.headers.get("request-id")
        attempt.latency_ms = round((time.perf_counter() - attempt.started) * 1000, 3)
        if response.status_code >= 400:
            response.read()
            attempt.error_type, attempt.error_code = _error_fields(response)
            if attempt.error_code == SPEND_LIMIT_CODE:
                response.headers["x-should-retry"] = "false"  # retrying cannot succeed
            self._settle(attempt, None)

    def _settle(self, attempt: _Attempt, usage: Usage | None) -> None:
        """Settle a journaled attempt: charged ``usage``, or failed (an error answer, or none at all).

        A journal that cannot be written now is logged, not raised: the call is made and paid, and the
        attempt stays in the journal as in doubt, counted at its estimate (more, never less)."""
        if self._journal is None or attempt.attempt_id is None:
            return
        try:
            if usage is not None:
                self._journal.settled(attempt.attempt_id, usage)
            else:
                self._journal.failed(attempt.attempt_id, attempt.status, attempt.request_id)
        except Exception:
            log.exception(
                "attempt %s could not be settled in the journal: it stays in doubt", attempt.attempt_id
            )

    def _estimate(self, system: str, prompt: str, max_tokens: int) -> float:
        """An upper bound of one attempt's cost: the system prompt priced as a cache write (it is the cached
        prefix, and a write costs more than plain input), the prompt as input, ``max_tokens`` as output."""
        return cost_usd(
            self.model,
            input_tokens=self._count(prompt),
            output_tokens=max_tokens,
            cache_write_tokens=self._count(system),
            cache_ttl=self._cache_ttl,
        )

    def _begin(self, ticket_id: TicketId | None, system: str, prompt: str, max_tokens: int) -> _Calls:
        """Fresh per-call state; attempts are journaled for ``ticket_id`` when a journal is configured."""
        journaled = self._journal is not None and ticket_id is not None
        estimate = self._estimate(system, prompt, max_tokens) if journaled else 0.0
        calls = self._local.calls = _Calls(ticket_id=ticket_id, estimate=estimate)
        return calls

    # -- the port -----------------------------------------------------------------------------------------

    def cache_status(self, system: str) -> CacheStatus:
        """How long ``system`` is against the model's minimum cacheable prefix (estimated tokens)."""
        status = self._statuses.get(system)
        if status is None:
            price = price_of(self.model)
            status = CacheStatus(self._count(system), price.min_cacheable_tokens if price else 1024)
            self._statuses[system] = status
        return status

    def generate(self, request: GenerationRequest, *, tries: int = 2) -> Draft:
        """A structured draft; output that does not parse or breaks the schema is asked for again, up to
        ``tries`` calls in all, then handed off."""
        self._begin(request.ticket.id, request.system, request.prompt, request.max_output_tokens)
        usages: list[Usage] = []
        problem = "invalid_output"
        for _ in range(tries):
            outcome = self._call(request, usages)
            if isinstance(outcome, Draft):
                return outcome
            if outcome == "refusal":
                problem = "refusal"
                break
            problem = "invalid_output"
            log.warning("model output invalid ticket=%s: %s", request.ticket.id, outcome)
        return Draft.handoff(problem, attempt=request.attempt, usage=tuple(usages))

    def _call(self, request: GenerationRequest, usages: list[Usage]) -> Draft | str:
        """One logical call (SDK retries inside). A draft, or a description of why the output is unusable."""
        import anthropic

        calls = self._calls()
        first = len(calls.attempts)
        try:
            message = self.client.messages.create(
                **self._params(request.system, request.prompt, request.max_output_tokens)
            )
        except anthropic.NotFoundError as exc:
            self._record_failures(calls.attempts[first:], usages)
            variable = "TICKETFLOW_" + self._setting.upper().replace(".", "__")
            raise ModelNotFound(
                f"model {self.model!r} was not found (retired or unknown): set `{self._setting}` in "
                f"ticketflow.toml (or {variable}) to a current model"
            ) from exc
        except anthropic.AuthenticationError as exc:
            self._record_failures(calls.attempts[first:], usages)
            raise ProviderAuthError("the Anthropic API refused the key: check ANTHROPIC_API_KEY") from exc
        except (anthropic.APIStatusError, anthropic.APIConnectionError) as exc:
            self._record_failures(calls.attempts[first:], usages)
            spend = any(a.error_code == SPEND_LIMIT_CODE for a in calls.attempts[first:])
            if spend:
                log.error("ALERT spend limit reached: the Anthropic API refuses calls; tickets go to humans")
                return Draft.handoff("spend_limit", attempt=request.attempt, usage=tuple(usages))
            log.warning("model call failed ticket=%s: %s", request.ticket.id, exc)
            return Draft.handoff("provider_unavailable", attempt=request.attempt, usage=tuple(usages))
        self._record_failures(calls.attempts[first:-1], usages)
        last = calls.attempts[-1] if len(calls.attempts) > first else _Attempt(time.perf_counter())
        usages.append(self._usage(message, last, len(usages) + 1))
        self._settle(last, usages[-1])
        return self._parse(message, request.attempt, usages)

    def _params(self, system_prompt: str, prompt: str, max_tokens: int) -> MessageCreateParamsNonStreaming:
        system: TextBlockParam = {
            "type": "text",
            "text": system_prompt,
            "cache_control": {"type": "ephemeral", "ttl": self._cache_ttl},
        }
        output: OutputConfigParam = {"format": {"type": "json_schema", "schema": self._schema}}
        return {
            "model": self.model,
            "max_tokens": max_tokens,
            "system": [system],
            "messages": [{"role": "user", "content": prompt}],
            "output_config": output,
        }

    def _parse(self, message: Any, attempt: int, usages: list[Usage]) -> Draft | str:
        """The structured draft in ``message``, or why it is unusable (``"refusal"``, a schema problem)."""
        if message.stop_reason == "refusal":
            return "refusal"
        text = "".join(b.text for b in message.content if b.type == "text")
        return draft_from_json(text, self._schema, usages, attempt, f"stop_reason={message.stop_reason}")

    def structured(
        self, system: str, prompt: str, max_tokens: int, *, ticket_id: TicketId | None = None
    ) -> tuple[dict[str, Any] | None, tuple[Usage, ...]]:
        """One call for a JSON object of this provider's schema (the model judge uses it): the object, or
        None when the call failed or the output is unusable, and the ledger rows of every attempt (journaled
        for ``ticket_id`` when given)."""
        import anthropic

        attempts = self._begin(ticket_id, system, prompt, max_tokens).attempts
        usages: list[Usage] = []
        try:
            message = self.client.messages.create(**self._params(system, prompt, max_tokens))
        except anthropic.APIError as exc:
            self._record_failures(attempts, usages)
            log.warning("%s call failed: %s", self._purpose, exc)
            return None, tuple(usages)
        self._record_failures(attempts[:-1], usages)
        last = attempts[-1] if attempts else _Attempt(time.perf_counter())
        usages.append(self._usage(message, last, len(usages) + 1))
        self._settle(last, usages[-1])
        text = "".join(b.text for b in message.content if b.type == "text")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None, tuple(usages)
        if not isinstance(value, dict) or schema_errors(value, self._schema):
            return None, tuple(usages)
        return value, tuple(usages)

    # -- off-peak batches (ports.batch.BatchProvider) -----------------------------------------------------

    def submit_batch(self, requests: Mapping[str, GenerationRequest]) -> str:
        """Submit the requests as one Message Batch (custom ids: ``^[a-zA-Z0-9_-]{1,64}$``).

        Not retried by the SDK: a create that timed out or lost its connection may have made the batch,
        and a second one would be paid for as well. Only refusals that create nothing (429 and 529, not
        the spend limit) are tried again, after their ``retry-after``."""
        import anthropic

        self._local.calls = _Calls()
        entries: list[Request] = [
            {"custom_id": custom_id, "params": self._params(r.system, r.prompt, r.max_output_tokens)}
            for custom_id, r in requests.items()
        ]
        once = self.client.with_options(max_retries=0)
        for tries_left in range(self.client.max_retries, -1, -1):
            try:
                batch = once.messages.batches.create(requests=entries)
                break
            except anthropic.APIStatusError as exc:
                headers = exc.response.headers
                refused = exc.status_code in (429, 529) and headers.get("x-should-retry") != "false"
                if not refused or tries_left == 0:
                    refusal = f"the Message Batches API refused the batch ({exc.status_code})"
                    raise ProviderUnavailable(f"{refusal}; its tickets go to humans") from exc
                time.sleep(min(float(headers.get("retry-after") or 1.0), 8.0))
        log.info("batch %s submitted with %d request(s)", batch.id, len(entries))
        return batch.id

    def batch_ended(self, batch_id: str) -> bool:
        self._local.calls = _Calls()
        return self.client.messages.batches.retrieve(batch_id).processing_status == "ended"

    def batch_results(self, batch_id: str) -> dict[str, Draft]:
        """One draft per custom id, its usage priced with the batch discount; anything but a valid reply
        is a handoff (``invalid_output`` for output to retry inline, ``batch_<type>`` otherwise)."""
        self._local.calls = _Calls()
        drafts: dict[str, Draft] = {}
        for entry in self.client.messages.batches.results(batch_id):
            result = entry.result
            if result.type != "succeeded":
                log.warning("batch %s request %s: %s", batch_id, entry.custom_id, result.type)
                drafts[entry.custom_id] = Draft("", "escalate", f"batch_{result.type}")
                continue
            usage = self._usage(result.message, _Attempt(0.0, request_id=batch_id), 1, batch=True)
            parsed = self._parse(result.message, 1, [usage])
            if isinstance(parsed, Draft):
                drafts[entry.custom_id] = parsed
            else:
                log.warning("batch %s request %s unusable: %s", batch_id, entry.custom_id, parsed)
                reason = "refusal" if parsed == "refusal" else "invalid_output"
                drafts[entry.custom_id] = Draft("", "escalate", reason, usage=(usage,))
        return drafts

    def retry(self, request: GenerationRequest) -> Draft:
        return self.generate(request, tries=1)

    def _usage(self, message: Any, attempt: _Attempt, number: int, *, batch: bool = False) -> Usage:
        u = message.usage
        written = u.cache_creation_input_tokens or 0
        read = u.cache_read_input_tokens or 0
        model = message.model or self.model
        return Usage(
            model=model,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cost_usd=cost_usd(
                model,
                input_tokens=u.input_tokens,
                output_tokens=u.output_tokens,
                cache_write_tokens=written,
                cache_read_tokens=read,
                cache_ttl=self._cache_ttl,
                batch=batch,
            ),
            latency_ms=attempt.latency_ms,
            cache_creation_input_tokens=written,
            cache_read_input_tokens=read,
            attempt=number,
            request_id=attempt.request_id,
            stop_reason=message.stop_reason,
            purpose=self._purpose,
            attempt_id=attempt.attempt_id,
        )

    def _record_failures(self, attempts: list[_Attempt], usages: list[Usage]) -> None:
        for attempt in attempts:
            if attempt.status is None:
                attempt.latency_ms = round((time.perf_counter() - attempt.started) * 1000, 3)
                self._settle(attempt, None)  # no answer came (error answers settled on arrival)
            reason = attempt.error_type or ("connection_error" if attempt.status is None else "error")
            usages.append(
                Usage(
                    model=self.model,
                    input_tokens=0,
                    output_tokens=0,
                    cost_usd=0.0,
                    latency_ms=attempt.latency_ms,
                    attempt=len(usages) + 1,
                    request_id=attempt.request_id,
                    stop_reason=f"error:{attempt.status or 0}:{reason}"[:32],
                    purpose=self._purpose,
                    attempt_id=attempt.attempt_id,
                )
            )
