"""``ticketflow audit verify``, ``ticketflow retention apply`` and ``ticketflow erase``: the commands that
prove the record unaltered and keep personal data no longer than configured (``docs/audit.md``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace", "-w", envvar="TICKETFLOW_WORKSPACE", help="workspace folder", show_default=True
    ),
]

audit_app = typer.Typer(no_args_is_help=True, help="the hash-chained audit trail and ledger")


@audit_app.command("verify")
def verify(workspace: WorkspaceOpt = Path("examples/store")) -> None:
    """Walk the ledger's and the audit trail's hash chains; name the first entry that breaks (exit 1)."""
    from ticketflow.settings import Settings
    from ticketflow.wiring.audit import verify_chains

    intact, broken = verify_chains(Settings.load(workspace))
    for done in intact:
        extra = f", {done.unchained} written before the chain" if done.unchained else ""
        erased = f", {done.erased} with their detail erased" if done.erased else ""
        sys.stdout.write(f"{done.table}: {done.entries} entries intact{extra}{erased}; head {done.head}\n")
    if broken is not None:
        sys.stderr.write(f"BROKEN: {broken}\n")
        raise typer.Exit(code=1)


retention_app = typer.Typer(
    no_args_is_help=True, help=r"retention periods of \[retention] in ticketflow.toml"
)


@retention_app.command("apply")
def retention_apply(workspace: WorkspaceOpt = Path("examples/store")) -> None:
    r"""Run the retention sweep once (the runtime also runs it on ``\[retention] sweep_schedule``)."""
    from ticketflow.settings import Settings
    from ticketflow.wiring.audit import sweep

    swept = sweep(Settings.load(workspace))
    sys.stdout.write(
        f"checkpoints: {swept.workflows_pruned} finished workflows pruned\n"
        f"messages: {swept.tickets_redacted} tickets redacted\n"
    )


def erase(
    customer: Annotated[str, typer.Option("--customer", help="the person's email address or customer id")],
    value: Annotated[
        list[str] | None,
        typer.Option(
            "--value", help="another of their values to search for afterwards: name, phone (repeat)"
        ),
    ] = None,
    workspace: WorkspaceOpt = Path("examples/store"),
) -> None:
    """Erase one person's data everywhere ticketflow keeps it; an audit entry records it without them.

    Exit status 1 when a file under var/ still holds the email, id or a ``--value`` afterwards."""
    from ticketflow.settings import Settings
    from ticketflow.wiring.audit import erase_customer

    done = erase_customer(Settings.load(workspace), customer, tuple(value or ()))
    sys.stdout.write(
        f"erased: {done.tickets} tickets, {done.conversations} conversations, "
        f"{done.audit_details} audit details, {done.workflows_deleted} workflows' checkpoints\n"
    )
    for path in done.files_still_holding:
        sys.stderr.write(f"still holds the person's data: {path}\n")
    if done.files_still_holding:
        raise typer.Exit(code=1)
