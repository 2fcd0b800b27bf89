"""``ticketflow users create|list|disable``: people's accounts for the console.

A password is never a command-line argument (it would sit in the shell's history and in ``ps``): it is
prompted for twice, without echo, or read from the first line of stdin with ``--password-stdin``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ticketflow.domain.access import Role, parse_role
from ticketflow.errors import TicketflowError

app = typer.Typer(no_args_is_help=True, help="People's accounts for the console: agent, admin or viewer")

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", "-w", envvar="TICKETFLOW_WORKSPACE", help="workspace folder")
]


def _fail(exc: Exception) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}")
    return typer.Exit(code=2)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    entered: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return entered


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="lowercase letters, digits and . _ @ -")],
    role: Annotated[str, typer.Option("--role", help="agent | admin | viewer")] = Role.AGENT.value,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
    workspace: WorkspaceOpt = Path("examples/store"),
) -> None:
    """Create an account; the password is prompted for (or read from stdin), hashed with argon2id."""
    from ticketflow.settings import Settings
    from ticketflow.wiring.access import people

    try:
        chosen = parse_role(role)
        password = _password(password_stdin)
        with people(Settings.load(workspace)) as users:
            user = users.create(username, chosen, password)
    except (TicketflowError, ValueError) as exc:
        raise _fail(exc) from exc
    Console(stderr=True).print(f"created [bold]{escape(user.username)}[/] ({user.role.value})")


@app.command("list")
def list_users(workspace: WorkspaceOpt = Path("examples/store")) -> None:
    """List accounts (username, role, created, disabled); passwords are never shown."""
    from ticketflow.settings import Settings
    from ticketflow.wiring.access import people

    try:
        with people(Settings.load(workspace)) as users:
            listed = users.list()
    except TicketflowError as exc:
        raise _fail(exc) from exc
    table = Table("username", "role", "created", "disabled")
    for user in listed:
        disabled = f"{user.disabled_at:%Y-%m-%d %H:%M}" if user.disabled_at else ""
        table.add_row(escape(user.username), user.role.value, f"{user.created_at:%Y-%m-%d %H:%M}", disabled)
    Console().print(table)


@app.command("disable")
def disable(
    username: Annotated[str, typer.Argument(help="the account, as `users list` shows it")],
    workspace: WorkspaceOpt = Path("examples/store"),
) -> None:
    """Disable an account: it cannot sign in, and its open sessions end at once."""
    from ticketflow.settings import Settings
    from ticketflow.wiring.access import people

    try:
        with people(Settings.load(workspace)) as users:
            done = users.disable(username)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    if not done:
        raise _fail(TicketflowError(f"no active account {username!r}; see `ticketflow users list`"))
    Console(stderr=True).print(f"disabled {escape(username)}")
