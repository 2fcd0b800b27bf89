"""Aggregate ticket results into the demo report and the per-ticket ledger lines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from ticketflow.domain.decision import Route
from ticketflow.domain.outcome import Outcome
from ticketflow.domain.pricing import cost_usd
from ticketflow.domain.result import TicketResult
from ticketflow.domain.serialize import jsonable
from ticketflow.evals.metrics import p50_p95, round_floats
from ticketflow.pipeline import STAGES


def projected_costs(result: TicketResult) -> dict[str, float]:
    """What this ticket's model calls would cost on each priced model (0 for rule and escalated tickets)."""
    costs: dict[str, float] = {}
    if result.draft is not None:
        for usage in result.draft.projections:
            costs[usage.model] = costs.get(usage.model, 0.0) + usage.cost_usd
    return costs


def projected_costs_uncached(result: TicketResult) -> dict[str, float]:
    """The same projection with no prompt caching: every prompt token at the full input price."""
    costs: dict[str, float] = {}
    if result.draft is not None:
        for u in result.draft.projections:
            prompt = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
            cost = cost_usd(u.model, input_tokens=prompt, output_tokens=u.output_tokens)
            costs[u.model] = costs.get(u.model, 0.0) + cost
    return costs


def cached_models(results: Sequence[TicketResult]) -> set[str]:
    """The models whose projected (offline) or real calls read the static prefix from the prompt cache: a
    prefix below a model's cacheable minimum is never cached on it, and the report must not say it is."""
    cached = {u.model for r in results for u in r.model_calls if u.cache_read_input_tokens > 0}
    for r in results:
        if r.draft is not None:
            cached |= {u.model for u in r.draft.projections if u.cache_read_input_tokens > 0}
    return cached


def ledger_line(result: TicketResult) -> dict[str, Any]:
    """One JSON object per ticket: decision, reasons, checks, tokens, projected cost, stage timings."""
    d = result.decision
    calls = result.model_calls
    return {
        "ticket_id": result.ticket.id,
        "external_id": result.ticket.message.external_id,
        "channel": result.ticket.message.channel,
        "decision": {
            "route": d.route.value,
            "intent": d.intent,
            "confidence": d.confidence,
            "reasons": list(d.reasons),
            "triggers": jsonable(d.triggers),
            "tone": d.tone,
            "sentiment": d.sentiment,
            "injection": d.injection,
            "rule": d.rule_id,
            "language": d.language,
        },
        "outcome": result.delivery.outcome.value,
        "outcome_reason": result.delivery.reason,
        "checks": [
            {"name": c.name, "verdict": c.verdict.value, "evidence": list(c.evidence)} for c in result.checks
        ],
        "model_calls": jsonable(calls),
        "tokens": {
            "input": sum(u.input_tokens for u in calls),
            "output": sum(u.output_tokens for u in calls),
            "context": result.context.tokens if result.context else 0,
            "context_dropped": list(result.context.dropped) if result.context else [],
        },
        "context": _context_line(result),
        "projected_cost_usd": round_floats(projected_costs(result), 8),
        "stage_ms": dict(result.timings_ms),
    }


def _context_line(result: TicketResult) -> dict[str, Any] | None:
    """What the context stage fetched: the customer lookup (source, ms, stale fields), articles, tickets."""
    pack = result.context
    if pack is None:
        return None
    return {
        "customer_fetch": jsonable(pack.customer_fetch),
        "retrieved": list(pack.retrieved),
        "previous_tickets": [p.id for p in pack.previous],
        "handoff": pack.handoff,
    }


def summarise(
    results: Sequence[TicketResult], priced_models: Sequence[str], ledger_path: str
) -> dict[str, Any]:
    """The demo report as one JSON-ready dict."""
    n = len(results)
    outcomes = Counter(r.delivery.outcome.value for r in results)
    escalated = [r for r in results if r.delivery.outcome is Outcome.ESCALATED]
    failed_checks = Counter(c.name for r in results for c in r.checks if c.failed)
    generated = [r for r in results if r.draft is not None]
    stage_times: dict[str, list[float]] = {}
    for r in results:
        for stage, ms in r.timings_ms:
            stage_times.setdefault(stage, []).append(ms)
    uncached = dict.fromkeys(priced_models, 0.0)
    for r in results:
        for model, cost in projected_costs_uncached(r).items():
            uncached[model] = uncached.get(model, 0.0) + cost
    totals = dict.fromkeys(priced_models, 0.0)
    for r in results:
        for model, cost in projected_costs(r).items():
            totals[model] = totals.get(model, 0.0) + cost
    drafted = len(generated)
    report = {
        "tickets": n,
        "outcomes": {o.value: outcomes.get(o.value, 0) for o in Outcome},
        "automation_rate": outcomes.get(Outcome.SENT.value, 0) / n if n else 0.0,
        "escalation_rate": len(escalated) / n if n else 0.0,
        "review_rate": outcomes.get(Outcome.REVIEW.value, 0) / n if n else 0.0,
        "declines_by_rule": dict(
            Counter(r.delivery.reason or "unknown" for r in results if r.delivery.outcome is Outcome.DECLINED)
        ),
        "escalations_by_reason": dict(
            Counter(r.delivery.reason or "unknown" for r in escalated).most_common()
        ),
        "routes": dict(Counter(r.decision.route.value for r in results)),
        "rule_answers": sum(
            1 for r in results if r.decision.route is Route.RULE and r.delivery.outcome is Outcome.SENT
        ),
        "model_calls": sum(len(r.model_calls) for r in results),
        "generated_tickets": len(generated),
        "validation_failures_by_check": dict(failed_checks.most_common()),
        "input_tokens": p50_p95([r.input_tokens for r in generated]),
        "prompt_tokens": p50_p95([r.prompt_tokens for r in generated]),
        "context_tokens": p50_p95([r.context.tokens for r in generated if r.context]),
        "projected_cost_per_ticket_usd": {m: totals[m] / n if n else 0.0 for m in totals},
        "projected_cost_per_ticket_usd_without_caching": {m: uncached[m] / n if n else 0.0 for m in uncached},
        "projected_cost_per_drafted_ticket_usd": {m: totals[m] / drafted if drafted else 0.0 for m in totals},
        "prefix_cached_on": sorted(cached_models(results)),
        "cost_projection_note": "offline drafter: what each Claude model would charge for the same prompts",
        "stage_latency_ms": {s: p50_p95(stage_times[s]) for s in STAGES if s in stage_times},
        "ledger_path": ledger_path,
    }
    return round_floats(report, 6)  # type: ignore[return-value]


def claude_usage(
    results: Sequence[TicketResult], cost: Callable[..., float], *, cache_ttl: str = "5m"
) -> dict[str, Any]:
    """Real (not projected) model calls: cache hit rate, cost per ticket with and without caching, calls per
    generated ticket. ``cost`` is the pricing function (``providers.pricing.cost_usd``, via wiring)."""
    n = len(results)
    calls = [u for r in results for u in r.model_calls if not u.projected]
    answered = [u for u in calls if u.input_tokens or u.output_tokens]
    generated = [r for r in results if any(not u.projected for u in r.model_calls)]
    charged = sum(u.cost_usd for u in calls)
    uncached = sum(
        cost(
            u.model,
            input_tokens=u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens,
            output_tokens=u.output_tokens,
        )
        for u in answered
    )
    prompt = sum(u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens for u in answered)
    report = {
        "model_calls": len(calls),
        "failed_calls": len(calls) - len(answered),
        "calls_per_generated_ticket": len(calls) / len(generated) if generated else 0.0,
        "cache_hit_rate": sum(1 for u in answered if u.cache_read_input_tokens) / len(answered)
        if answered
        else 0.0,
        "cached_share_of_prompt_tokens": sum(u.cache_read_input_tokens for u in answered) / prompt
        if prompt
        else 0.0,
        "cost_total_usd": charged,
        "cost_per_ticket_usd": charged / n if n else 0.0,
        "cost_per_ticket_without_caching_usd": uncached / n if n else 0.0,
        "cache_ttl": cache_ttl,
    }
    return round_floats(report, 8)  # type: ignore[return-value]


def held_out_routing(records: Sequence[Any], results: Sequence[TicketResult]) -> dict[str, Any] | None:
    """Routing against the examples' own labels (``labels.intent``, ``labels.route``), paired by external
    id: meaningful only when each ticket was routed by a model that did not see it (the demo's folds).

    ``escalation_recall``: of the tickets labelled ``escalate``, the share a person got (not sent, declined);
    ``escalation_precision``: of the tickets routing escalated, the share labelled ``escalate``.
    """
    by_id = {str(r.id): r.labels for r in records}
    pairs = [(by_id.get(r.ticket.message.external_id) or {}, r) for r in results]
    intents = [(labels["intent"], r.decision.intent) for labels, r in pairs if labels.get("intent")]
    should = [r for labels, r in pairs if labels.get("route") == Route.ESCALATE.value]
    escalated = [(labels, r) for labels, r in pairs if r.decision.route is Route.ESCALATE]
    if not intents and not should:
        return None
    automatic = (Outcome.SENT, Outcome.DECLINED)
    caught = sum(1 for r in should if r.delivery.outcome not in automatic)
    return round_floats(  # type: ignore[return-value]
        {
            "intent_accuracy": sum(1 for gold, got in intents if gold == got) / len(intents)
            if intents
            else None,
            "labelled_intents": len(intents),
            "should_escalate": len(should),
            "should_escalate_but_sent": len(should) - caught,
            "escalation_recall": caught / len(should) if should else None,
            "escalation_precision": (
                sum(1 for labels, _ in escalated if labels.get("route") == Route.ESCALATE.value)
                / len(escalated)
                if escalated
                else None
            ),
        },
        4,
    )
