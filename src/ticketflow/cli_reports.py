"""``ticketflow report`` and ``ticketflow review``: the operations report, and the monthly graded review.

Both read the workspace's database through the store's read model (``wiring.reports``); nothing here runs
the pipeline or needs the trained models.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ticketflow.errors import InputError, TicketflowError

if TYPE_CHECKING:
    from ticketflow.evals.periods import Period

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace", "-w", envvar="TICKETFLOW_WORKSPACE", help="workspace folder", show_default=True
    ),
]
PeriodOpt = Annotated[str, typer.Option("--period", help="week | month: the period that ends at --until")]
UntilOpt = Annotated[
    str | None,
    typer.Option(
        "--until", help="end of the period, exclusive: a date (its midnight UTC) or ISO time \\[today]"
    ),
]

review_app = typer.Typer(
    no_args_is_help=True, help="The monthly review: sample tickets to grade, store grades"
)


def _fail(exc: Exception) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}")
    return typer.Exit(code=2)


def _period(kind: str, until: str | None) -> Period:
    from ticketflow.evals.periods import PeriodKind, parse_until, period_ending

    if kind not in {k.value for k in PeriodKind}:
        raise InputError(f"--period {kind!r}: choose week or month")
    return period_ending(kind, parse_until(until))


def report(
    period: PeriodOpt = "week",
    fmt: Annotated[str, typer.Option("--format", help="html | md | json")] = "html",
    out: Annotated[
        Path | None, typer.Option("--out", help="write here (md: PNGs beside it) \\[stdout]")
    ] = None,
    until: UntilOpt = None,
    workspace: WorkspaceOpt = Path("examples/store"),
) -> None:
    """The operations report of a week or month against the one before, with a plot per section: volumes,
    automation, escalation by reason, cost and tokens, latency by stage, validation failures and the
    review's graded rates."""
    from ticketflow.evals.report import build_report
    from ticketflow.evals.report_render import write_report
    from ticketflow.settings import Settings
    from ticketflow.wiring.reports import report_stores

    try:
        if fmt not in ("html", "md", "json"):
            raise InputError(f"--format {fmt!r}: choose html, md or json")
        chosen = _period(period, until)
        with report_stores(Settings.load(workspace)) as stores:
            built = build_report(stores, chosen)
        text = write_report(built, fmt, out)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    if text is not None:
        sys.stdout.write(text)
    else:
        Console(stderr=True).print(f"wrote {out} ({built.tickets[0]} tickets, {chosen.label()})")


@review_app.command("sample")
def review_sample(
    out: Annotated[Path, typer.Option("--out", help="the grading file to write (CSV)")],
    period: PeriodOpt = "month",
    answered: Annotated[int, typer.Option("--answered", min=0, help="answered tickets to draw")] = 50,
    escalated: Annotated[int, typer.Option("--escalated", min=0, help="handed-off tickets to draw")] = 50,
    seed: Annotated[
        int | None, typer.Option("--seed", help="the draw's seed (printed when not given)")
    ] = None,
    until: UntilOpt = None,
    workspace: WorkspaceOpt = Path("examples/store"),
) -> None:
    """Draw a random sample of the period's answered and escalated tickets into a grading file."""
    from ticketflow.evals.review import draw_sample, write_grading_file
    from ticketflow.settings import Settings
    from ticketflow.wiring.reports import report_stores

    seed = seed if seed is not None else secrets.randbelow(2**31)
    try:
        chosen = _period(period, until)
        with report_stores(Settings.load(workspace)) as stores:
            candidates = stores.facts.review_candidates(chosen.since, chosen.until)
            sample = draw_sample(candidates, answered=answered, escalated=escalated, seed=seed)
            written = write_grading_file(stores.facts.review_items(sample), out)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    kinds = list(sample.values())
    Console(stderr=True).print(
        f"wrote {out}: {kinds.count('answered')} answered and {kinds.count('escalated')} escalated tickets "
        f"of {chosen.label()} ({written} lines, seed {seed}); answer the two questions, then "
        f"`ticketflow review grade {out}`"
    )


@review_app.command("grade")
def review_grade(
    file: Annotated[Path, typer.Argument(help="a grading file from `review sample`, graded")],
    grader: Annotated[str | None, typer.Option("--grader", help="who graded (for lines without one)")] = None,
    workspace: WorkspaceOpt = Path("examples/store"),
) -> None:
    """Store the grades of a graded file (a ticket graded again keeps its latest grade)."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from ticketflow.evals.review import read_grading_file
    from ticketflow.settings import Settings
    from ticketflow.wiring.reports import report_stores

    try:
        graded = read_grading_file(file)
        grades = [g if g.grader or grader is None else replace(g, grader=grader) for g in graded.grades]
        with report_stores(Settings.load(workspace)) as stores:
            try:
                stored = stores.grades.record_grades(grades, at=datetime.now(UTC))
            except KeyError as exc:
                missing = exc.args[0]
                line = graded.lines.get(missing, "?")
                raise InputError(f"{file}:{line}: no ticket {missing} in this workspace's database") from None
    except TicketflowError as exc:
        raise _fail(exc) from exc
    Console(stderr=True).print(f"stored {stored} grades from {file} ({graded.ungraded} lines left blank)")
