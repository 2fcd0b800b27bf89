"""``ticketflow replay``: stored tickets run again through the pipeline with a variant, both arms compared.

Reads the workspace's database (nothing is written to it), runs every chosen ticket through arm A (the
workspace as configured) and arm B (the same with each ``--variant`` applied) in-process, sends nothing,
and writes the comparison as HTML, Markdown or JSON. Progress goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ticketflow.errors import InputError, TicketflowError

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace", "-w", envvar="TICKETFLOW_WORKSPACE", help="workspace folder", show_default=True
    ),
]


def _fail(exc: Exception) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}")
    return typer.Exit(code=2)


def replay(
    since: Annotated[str, typer.Option("--since", help="first arrival replayed: a date or ISO time (UTC)")],
    until: Annotated[
        str | None, typer.Option("--until", help="end of the range, exclusive: a date or ISO time \\[now]")
    ] = None,
    variant: Annotated[
        list[str] | None,
        typer.Option(
            "--variant",
            help="arm B's change, KEY=VALUE as in ticketflow.toml (routing.unsure_threshold=0.6, "
            "models.generation=claude-haiku-5-5, validation.policy.grounding=warn, workspace=DIR); repeat",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="html | md | json")] = "html",
    out: Annotated[
        Path | None, typer.Option("--out", help="write here (md: PNGs beside it) \\[stdout]")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="replay at most this many of the range's tickets")
    ] = None,
    sample: Annotated[
        str, typer.Option("--sample", help="with --limit: random | first | last tickets of the range")
    ] = "random",
    seed: Annotated[int, typer.Option("--seed", help="seed of the sample and of the bootstrap")] = 0,
    resamples: Annotated[
        int, typer.Option("--resamples", min=100, help="bootstrap resamples for the intervals")
    ] = 2000,
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            envvar="TICKETFLOW_REPLAY_PROVIDER",
            help="both arms' drafter: offline (no key, costs projected) | anthropic | openai-compatible",
        ),
    ] = "offline",
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost",
            min=0.0,
            help="USD: stop before the model calls of both arms could cost more (required with a paid "
            "provider; the report says how far it got)",
        ),
    ] = None,
    workspace: WorkspaceOpt = Path("examples/store"),
) -> None:
    """Re-run stored tickets received in [--since, --until) through the workspace as configured (arm A) and
    with each --variant applied (arm B), in-process and sending nothing; report both arms side by side with
    paired bootstrap intervals, McNemar's test, the change matrices and the tickets whose outcome changed."""
    from datetime import UTC, datetime

    from rich.progress import Progress

    from ticketflow.evals.replay import choose, parse_time
    from ticketflow.evals.replay import replay as run_replay
    from ticketflow.evals.replay_render import write_replay
    from ticketflow.evals.replay_report import ArmSetup, compare
    from ticketflow.evals.replay_variants import check_priced, parse_variants, variant_settings
    from ticketflow.settings import Settings, redact_url
    from ticketflow.wiring.replay import replay_arms

    err = Console(stderr=True)
    try:
        if fmt not in ("html", "md", "json"):
            raise InputError(f"--format {fmt!r}: choose html, md or json")
        if sample not in ("random", "first", "last"):
            raise InputError(f"--sample {sample!r}: choose random, first or last")
        if provider not in ("offline", "anthropic", "openai-compatible"):
            raise InputError(f"--provider {provider!r}: choose offline, anthropic or openai-compatible")
        start = parse_time(since, "--since")
        end = parse_time(until, "--until") if until is not None else datetime.now(UTC)
        if end <= start:
            raise InputError(f"--until {end:%Y-%m-%d %H:%M} is not after --since {start:%Y-%m-%d %H:%M}")
        variants = parse_variants(variant or [])
        base = {"provider": provider}
        arm_a = Settings.load(workspace, **base)
        arm_b = variant_settings(workspace, variants, base)
        for name, settings in (("A", arm_a), ("B", arm_b)):
            check_priced(settings, name)
        paid = sorted({s.resolved_provider for s in (arm_a, arm_b)} - {"offline"})
        priced = any(
            s.resolved_provider == "anthropic"
            or (
                s.resolved_provider == "openai-compatible"
                and s.openai_compatible.input_usd_per_million + s.openai_compatible.output_usd_per_million > 0
            )
            for s in (arm_a, arm_b)
        )
        if priced and max_cost is None:
            raise InputError(
                f"--provider {provider}: the replay's drafts are real, billed model calls; give --max-cost "
                "USD (for example --max-cost 5) to cap what both arms may spend"
            )
        with replay_arms(arm_a, arm_b) as arms:
            if paid:
                err.print(
                    f"note: {', '.join(paid)} drafts are real model calls: billed, ledgered as "
                    f"replay:{arms.run_id}:<arm>:<ticket> and counted in today's budget"
                )
            ids = arms.source.replayable(start, end)
            if not ids:
                where = redact_url(arm_a.resolved_database_url)
                raise InputError(
                    f"no finished ticket was received from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} "
                    f"UTC in {where}; widen --since/--until"
                )
            stored = arms.source.stored_tickets(choose(ids, limit=limit, sample=sample, seed=seed))
            err.print(f"replaying {len(stored)} of {len(ids)} tickets through arms A and B")
            with Progress(console=err, transient=True, redirect_stdout=False, redirect_stderr=False) as bar:
                task = bar.add_task("replaying", total=len(stored))
                run = run_replay(
                    arms.a, arms.b, stored, progress=lambda n: bar.advance(task, n), max_cost_usd=max_cost
                )
            if run.stopped:
                err.print(f"[yellow]{run.stopped}[/]")
        setups = tuple(
            ArmSetup(
                name,
                tuple(v.text for v in chosen),
                s.resolved_provider,
                s.openai_compatible.model
                if s.resolved_provider == "openai-compatible"
                else s.models.generation,
                str(s.workspace),
            )
            for name, s, chosen in (("A", arm_a, ()), ("B", arm_b, variants))
        )
        comparison = compare(
            run,
            since=start,
            until=end,
            generated_at=datetime.now(UTC),
            arms=(setups[0], setups[1]),
            matched=len(ids),
            sample="all" if len(stored) == len(ids) else sample,
            resamples=resamples,
            seed=seed,
        )
        text = write_replay(comparison, fmt, out)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    if text is not None:
        sys.stdout.write(text)
    else:
        err.print(f"wrote {out}: {len(comparison.changed)} of {comparison.n} tickets changed")
