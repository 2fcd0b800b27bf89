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
