"""``ticketflow alerts``: the alert rules of a workspace and the state each is in."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ticketflow.errors import TicketflowError

alerts_app = typer.Typer(no_args_is_help=True, help=r"Alert rules (\[\[alerts.rules]]) and their states")

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace", "-w", envvar="TICKETFLOW_WORKSPACE", help="workspace folder", show_default=True
    ),
]


@alerts_app.command("list")
def alerts_list(
    workspace: WorkspaceOpt = Path("examples/store"),
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Each rule: ok, cooling or firing, its last value, threshold and window, and how often it fired."""
    from ticketflow.runtime.alerts import snapshot
    from ticketflow.settings import Settings
    from ticketflow.wiring.alerts import alert_store, rules

    try:
        settings = Settings.load(workspace)
        with alert_store(settings) as store:
            rows = snapshot(rules(settings.alerts), store.states())
            events = store.events(10)
    except TicketflowError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(code=2) from exc
    if as_json:
        sys.stdout.write(json.dumps({"enabled": settings.alerts.enabled, "rules": rows}, indent=2) + "\n")
        return
    table = Table(title="alerts" + ("" if settings.alerts.enabled else " (evaluation disabled)"))
    for column in ("name", "status", "severity", "value", "rule", "fired", "since"):
        table.add_column(column)
    for row in rows:
        value = row["value"]
        table.add_row(
            str(row["rule"]),
            str(row["status"]),
            str(row["severity"]),
            "-" if value is None else f"{value:.4g}",
            str(row["description"]),
            str(row["firings"]),
            str(row["since"] or "-"),
        )
    console = Console()
    console.print(table)
    for event, outcome in events:
        console.print(f"{event.at:%Y-%m-%d %H:%M:%S} {event.summary} [{outcome or 'pending'}]", markup=False)
