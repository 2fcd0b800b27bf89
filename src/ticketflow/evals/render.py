"""Rich tables for the demo and eval reports."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _kv(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for key, value in rows:
        table.add_row(key, value)
    return table


def _cache_words(report: dict[str, Any]) -> str:
    """Whether the static prefix was read from the prompt cache, said only for the models where it was."""
    cached = report.get("prefix_cached_on") or []
    priced = list(report.get("projected_cost_per_ticket_usd", {}))
    if not cached:
        return "(the static prefix was not cached: it is below the cacheable minimum, or caching is off)"
    missing = [m for m in priced if m not in cached]
    also = f"; not on {', '.join(missing)} (below its cacheable minimum)" if missing else ""
    return f"(the static prefix is read from the cache on {', '.join(cached)}{also})"


def _render_routing(report: dict[str, Any], console: Console) -> None:
    """How the demo's routing was trained, and what it scored on tickets its models did not see."""
    if report.get("routing_trained_on"):
        console.print(f"routing: {report['routing_trained_on']}")
    routed = report.get("held_out_routing")
    if routed:
        accuracy = routed["intent_accuracy"]
        console.print(
            f"routing on tickets its models did not see: intent right {_pct(accuracy) if accuracy else '—'}"
            f" of {routed['labelled_intents']}; {routed['should_escalate_but_sent']} of "
            f"{routed['should_escalate']} tickets labelled for a person were answered automatically"
        )


def render_demo(report: dict[str, Any], console: Console) -> None:
    """Print ``ticketflow demo``'s report as tables: outcomes, escalations, check failures, latency and cost.

    Without Claude the cost is a projection, and the report's note saying so is printed with it.
    """
    n = report["tickets"]
    console.rule(f"[bold]ticketflow demo[/] — {n} tickets from {report.get('workspace', '')}")
    _render_routing(report, console)
    outcomes = report["outcomes"]
    console.print(
        _kv(
            "Outcomes",
            [
                ("sent to the customer", f"{outcomes['sent']}"),
                ("held for human review (draft failed a check)", f"{outcomes['review']}"),
                ("escalated to a human", f"{outcomes['escalated']}"),
                ("declined (out of scope, thanks): configured reply", f"{outcomes.get('declined', 0)}"),
                ("automation rate (sent ÷ all)", _pct(report["automation_rate"])),
                ("escalation rate", _pct(report["escalation_rate"])),
                ("answered by a rule, no model call", f"{report['rule_answers']}"),
                ("model calls", f"{report['model_calls']} for {report['generated_tickets']} drafted tickets"),
            ],
        )
    )
    verified = report.get("verified_resolution")
    if verified:
        console.print(_kv("Verified resolution (beside sent)", resolution_rows(verified)))
        console.print(f"[dim]{verified['note']}[/]")
    reasons = Table(title="Escalations by reason", title_justify="left")
    reasons.add_column("reason")
    reasons.add_column("tickets", justify="right")
    for reason, count in report["escalations_by_reason"].items():
        reasons.add_row(reason, str(count))
    checks = Table(title="Validation failures by check", title_justify="left")
    checks.add_column("check")
    checks.add_column("drafts blocked", justify="right")
    for check, count in report["validation_failures_by_check"].items():
        checks.add_row(check, str(count))
    if not report["validation_failures_by_check"]:
        checks.add_row("(none)", "0")
    console.print(reasons)
    console.print(checks)
    cost = Table(title="Projected cost (over all tickets, and per drafted ticket)", title_justify="left")
    cost.add_column("model")
    cost.add_column("USD / ticket", justify="right")
    cost.add_column("without caching", justify="right")
    cost.add_column("USD / drafted ticket", justify="right")
    uncached = report.get("projected_cost_per_ticket_usd_without_caching", {})
    drafted = report.get("projected_cost_per_drafted_ticket_usd", {})
    for model, usd in report["projected_cost_per_ticket_usd"].items():
        cost.add_row(
            model,
            f"${usd:.5f}",
            f"${uncached[model]:.5f}" if model in uncached else "—",
            f"${drafted[model]:.5f}" if model in drafted else "—",
        )
    claude = report.get("claude")
    if not claude:
        console.print(cost)
    if claude:
        console.print(
            _kv(
                f"Claude ({report.get('provider')}): real calls through the SDK",
                [
                    ("model calls (failed attempts included)", f"{claude['model_calls']}"),
                    ("model calls per generated ticket", f"{claude['calls_per_generated_ticket']:.2f}"),
                    ("cache hit rate (calls reading the cache)", _pct(claude["cache_hit_rate"])),
                    ("cost per ticket", f"${claude['cost_per_ticket_usd']:.5f}"),
                    (
                        "cost per ticket without caching",
                        f"${claude['cost_per_ticket_without_caching_usd']:.5f}",
                    ),
                ],
            )
        )
        if claude.get("cache_note"):
            console.print(f"prompt caching: {claude['cache_note']}")
    tokens, prompt = report["input_tokens"], report.get("prompt_tokens", report["input_tokens"])
    console.print(
        f"input tokens per drafted ticket: p50 {tokens['p50']:.0f}, p95 {tokens['p95']:.0f} uncached; "
        f"all prompt tokens p50 {prompt['p50']:.0f}, p95 {prompt['p95']:.0f} {_cache_words(report)}"
    )
    latency = Table(title="Stage latency (ms)", title_justify="left")
    latency.add_column("stage")
    latency.add_column("p50", justify="right")
    latency.add_column("p95", justify="right")
    for stage, figures in report["stage_latency_ms"].items():
        latency.add_row(stage, f"{figures['p50']:.2f}", f"{figures['p95']:.2f}")
    console.print(latency)
    if not claude:
        console.print(f"[dim]{report['cost_projection_note']}[/]")
    console.print(f"ledger, one line per ticket: [bold]{report['ledger_path']}[/]")


def render_eval(report: dict[str, Any], console: Console) -> None:
    """Print ``ticketflow eval``'s report as tables, each metric only when the records had labels for it."""
    console.rule(f"[bold]ticketflow eval[/] — {report['records']} records from {report.get('file', '')}")
    rows: list[tuple[str, str]] = []
    if "intent" in report:
        rows += [
            ("intent accuracy", _pct(report["intent"]["accuracy"])),
            ("intent macro-F1", f"{report['intent']['macro_f1']:.3f}"),
        ]
    if "route" in report:
        rows.append(("route accuracy", _pct(report["route"]["accuracy"])))
        rows.append(("rule share", _pct(report["rule_share"])))
    if "escalation" in report:
        rows.append(("escalation precision", _pct(report["escalation"]["precision"])))
        rows.append(("escalation recall", _pct(report["escalation"]["recall"])))
    if "sentiment" in report:
        s = report["sentiment"]
        rows.append(
            (
                "negative tone P / R / F1",
                f"{s['negative_precision']:.3f} / {s['negative_recall']:.3f} / {s['negative_f1']:.3f}",
            )
        )
    if "injection" in report:
        rows.append(
            ("injection TPR / FPR", f"{report['injection']['tpr']:.3f} / {report['injection']['fpr']:.3f}")
        )
    rows.append(
        (
            "input tokens p50 / p95",
            f"{report['tokens']['input_p50']:.0f} / {report['tokens']['input_p95']:.0f}",
        )
    )
    if "verified_resolution" in report:
        v = report["verified_resolution"]
        rows.append(("automation rate (labelled records)", _pct(v["automation_rate"])))
        rows.append(("verified resolution rate (same records)", _pct(v["verified_resolution_rate"])))
        rows.append(("resolved ÷ sent", _pct(v["resolved_share_of_sent"]) if v["sent"] else "—"))
        if v.get("follow_up_agreement") is not None:
            rows.append(("follow-up judged as labelled", _pct(v["follow_up_agreement"])))
    console.print(_kv("Scores", rows))
    if "escalation" in report and report["escalation"]["by_reason"]:
        table = Table(title="Escalation by reason", title_justify="left")
        for col in ("reason", "precision", "recall", "support"):
            table.add_column(col, justify="left" if col == "reason" else "right")
        for reason, s in report["escalation"]["by_reason"].items():
            table.add_row(reason, f"{s['precision']:.3f}", f"{s['recall']:.3f}", str(s["support"]))
        console.print(table)


def render_ask(explained: dict[str, Any], console: Console) -> None:
    """Print ``ticketflow ask``'s explanation: decision and reasons, context, draft, checks, outcome, cost."""
    from rich.markup import escape

    decision = explained["decision"]
    console.rule("[bold]decision")
    console.print(
        f"route [bold]{decision['route']}[/]  intent {decision.get('intent') or '—'}  "
        f"confidence {decision['confidence']:.2f}  tone {decision.get('tone', 0.0):.2f}"
    )
    for reason in decision.get("reasons") or ():
        console.print(f"  • {escape(str(reason))}")
    for trigger in decision.get("triggers") or ():
        console.print(f"  ! {trigger['id']}: {escape(trigger['reason'])} ({escape(trigger['evidence'])!r})")
    context = explained["context"]
    if context is not None:
        console.rule(f"[bold]context[/] ({context['tokens']} tokens)")
        for passage in context["passages"]:
            console.print(
                f"  {passage['score']:.3f}  {escape(passage['source'])}  {escape(passage['title'])}"
            )
        if context["policies"]:
            console.print("  policies: " + ", ".join(escape(p) for p in context["policies"]))
        if context["dropped"]:
            console.print("  dropped for the budget: " + ", ".join(escape(d) for d in context["dropped"]))
    draft = explained["draft"]
    if draft is not None and draft.get("masked"):
        console.print("  masked before the model: " + ", ".join(escape(p) for p in draft["masked"]))
    if draft is not None:
        console.rule(f"[bold]draft[/] ({draft['action']})")
        console.print(escape(draft["reply"] or f"(no reply: {draft.get('escalation_reason')})"))
    if explained["checks"]:
        console.rule("[bold]checks")
        for check in explained["checks"]:
            evidence = "; ".join(check.get("evidence") or ())
            console.print(f"  {check['verdict']:<5} {check['name']:<12} {escape(evidence)}")
    delivery, cost = explained["delivery"], explained["cost"]
    console.rule("[bold]outcome")
    reason = f" ({escape(delivery['reason'])})" if delivery.get("reason") else ""
    console.print(f"[bold]{delivery['outcome']}[/]{reason}")
    if delivery.get("body") and (draft is None or delivery["body"] != draft["reply"]):
        console.print(escape(delivery["body"]))
    projected = ", ".join(f"{model} ${usd:.5f}" for model, usd in cost["projected"].items())
    console.print(
        f"cost ${cost['charged_usd']:.5f}" + (f"; on Claude it would be {projected}" if projected else "")
    )


def render_training(report: dict[str, Any], console: Console) -> None:
    """Print what ``ticketflow train`` measured of the intent model (out-of-fold figures)."""
    from rich.markup import escape

    console.rule(f"[bold]intent model[/] — {report['examples']} examples, {report['labels']} intents")
    if report["cross_validated"]:
        console.print(f"cross-validated accuracy {_pct(report['accuracy'])}")
        automated = report["automated_accuracy"]
        accuracy = _pct(automated) if automated is not None else "—"
        console.print(
            f"unsure threshold {report['unsure_threshold']:.3f}: {_pct(report['automated_share'])} of "
            f"held-out tickets clear it and are routed with {accuracy} accuracy; the rest go to a person"
        )
    trade = report.get("escalation")
    if trade is not None and not trade["escalating"]:
        console.print(
            "escalating intents: none of their examples could be held out and scored (too few of each); "
            "how often they would be answered automatically is not measured"
        )
    elif trade is not None:
        console.print(
            f"escalating intents: of {trade['escalating']} held-out examples, {trade['missed_top']} would be "
            f"answered automatically on the top intent alone, {trade['missed_mass']} with risk_mass "
            f"{trade['risk_mass']}; of {trade['others']} others, {trade['needless_top']} / "
            f"{trade['needless_mass']} sure ones would go to a person for an escalation reason"
        )
    weak = report.get("weak") or []
    if weak:
        table = Table(title="weakest intents (held-out F1 below 0.8)", title_justify="left")
        for column in ("intent", "examples", "precision", "recall", "most often taken for"):
            table.add_column(column)
        for s in weak[:10]:
            row = (s["label"], str(s["examples"]), f"{s['precision']:.2f}", f"{s['recall']:.2f}")
            table.add_row(*row, s["confused_with"] or "—")
        console.print(table)
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(warning)}")


def resolution_rows(verified: dict[str, Any]) -> list[tuple[str, str]]:
    """Sent, then how many of those answers are verified resolved, reopened or still pending, and rated."""
    rate = verified.get("verified_resolution_rate")
    shown = _pct(rate) if rate is not None else "not yet known"
    return [
        ("automated answers sent", f"{verified['sent']}"),
        ("verified resolved", f"{verified['resolved']}"),
        ("reopened (came back, or rated bad)", f"{verified['reopened']}"),
        ("pending (window still open)", f"{verified['pending']}"),
        ("rated good / bad", f"{verified['rated_good']} / {verified['rated_bad']}"),
        ("verified resolution rate (resolved ÷ decided)", shown),
    ]
