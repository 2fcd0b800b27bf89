"""The ``ticketflow`` command: set up a workspace, run and serve the pipeline, measure it, operate it.

Every option also reads an environment variable (shown in ``--help``); settings proper live in the
workspace's ``ticketflow.toml`` and ``TICKETFLOW_*`` variables.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ticketflow.cli_audit import audit_app, erase, retention_app
from ticketflow.console.users import app as users_app
from ticketflow.errors import TicketflowError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def _err() -> Console:
    """Consoles are made per call, so they write to whatever stdout/stderr are now (tests swap them)."""
    return Console(stderr=True)


WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace", "-w", envvar="TICKETFLOW_WORKSPACE", help="workspace folder", show_default=True
    ),
]


def _log_to_stderr() -> None:
    """Service commands log ticketflow's events (model calls, recoveries) to stderr."""
    level = os.environ.get("TICKETFLOW_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ticketflow").setLevel(level)


def _fail(exc: Exception) -> typer.Exit:
    _err().print(f"[bold red]error:[/] {escape(str(exc))}")  # messages hold [extras], [sections]
    return typer.Exit(code=2)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="folder to create")],
    name: Annotated[
        str | None, typer.Option("--name", help="your company's name, used in prompts and sign-offs")
    ] = None,
    blank: Annotated[
        bool,
        typer.Option(
            "--blank",
            help="no sample tickets, articles, policies, customers or canned answers: for your own documents",
        ),
    ] = False,
) -> None:
    """Scaffold a workspace with commented example files (or, with --blank, for your own documents)."""
    from ticketflow.wiring.scaffold import scaffold_workspace

    try:
        scaffold_workspace(directory, name=name, blank=blank)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    if blank:
        _err().print(
            f"created workspace [bold]{directory}[/]: put your help articles in {directory}/kb/ and your "
            f"policies in {directory}/policies/ (Markdown), then try: "
            f'ticketflow ask "a customer question" --workspace {directory}'
        )
    else:
        _err().print(f"created workspace [bold]{directory}[/]; try: ticketflow demo --workspace {directory}")


@app.command()
def demo(
    workspace: WorkspaceOpt = Path("examples/store"),
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            envvar="TICKETFLOW_PROVIDER",
            help="offline | anthropic | openai-compatible",
        ),
    ] = None,
) -> None:
    """Run every ticket of the workspace's examples.jsonl through the durable pipeline and report."""
    from ticketflow.demo import run_demo
    from ticketflow.evals.render import render_demo

    try:
        report = run_demo(workspace, console=_err(), provider=provider)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        render_demo(report, Console())


@app.command()
def serve(
    workspace: WorkspaceOpt = Path("examples/store"),
    host: Annotated[str, typer.Option(envvar="TICKETFLOW_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="TICKETFLOW_PORT")] = 8000,
) -> None:
    r"""Start the HTTP API with the durable runtime in the same process (and the SMTP intake, when
    ``\[channels.email]`` is set: ``TICKETFLOW_CHANNELS__EMAIL__LISTEN``)."""
    import uvicorn

    from ticketflow.api.access_log import log_config
    from ticketflow.api.app import create_app
    from ticketflow.console.app import mount as mount_console
    from ticketflow.runtime.service import Runtime, exit_stopped
    from ticketflow.wiring.engine import Engine

    _log_to_stderr()
    try:
        runtime = Runtime(Engine.from_workspace(workspace), mail_intake=True)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    app = create_app(runtime)
    mount_console(app, runtime)
    # the access log without a webhook URL's ?token= (Freshdesk's shared secret, when it rides in the URL)
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=log_config())
    runtime.engine.close()  # the runtime stopped with the server: close clients, flush trace spans
    exit_stopped()  # workflows the stop cut off resume at the next start


@app.command()
def worker(workspace: WorkspaceOpt = Path("examples/store")) -> None:
    r"""Run the durable runtime without HTTP; start several (on PostgreSQL) to scale out. With
    ``\[channels.email]`` it also runs the SMTP intake (give each worker its own listen address)."""
    from ticketflow.runtime.service import Runtime, exit_stopped
    from ticketflow.settings import redact_url
    from ticketflow.wiring.engine import Engine

    _log_to_stderr()
    try:
        runtime = Runtime(Engine.from_workspace(workspace), mail_intake=True)
        runtime.start()
    except TicketflowError as exc:
        raise _fail(exc) from exc
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    where = redact_url(runtime.engine.settings.resolved_system_database_url)
    _err().print(f"worker running on {where}; Ctrl-C to stop")
    stop.wait()
    runtime.stop()
    runtime.engine.close()  # close clients and flush trace spans: the exit below runs no atexit hooks
    exit_stopped()  # cut-off workflows resume at the next start; waiting on their threads could take a day


@app.command()
def train(
    file: Annotated[Path, typer.Argument(help="ticket-eval JSONL with labels.intent (and labels.sentiment)")],
    workspace: WorkspaceOpt = Path("examples/store"),
    as_json: Annotated[bool, typer.Option("--json", help="print what training measured as JSON")] = False,
) -> None:
    """Train the workspace's intent model (and tone model), store them under var/models/, and report
    cross-validated accuracy, the unsure threshold and what it trades, the weakest intents, and whether
    there are enough examples.

    The workspace's intents.yaml phrasings are added to FILE's labelled intents.
    """
    from ticketflow.domain.serialize import jsonable
    from ticketflow.evals.records import read_records
    from ticketflow.evals.render import render_training
    from ticketflow.settings import Settings
    from ticketflow.wiring.models import escalation_on_held_out, save_models, train_for_workspace

    try:
        settings = Settings.load(workspace)
        models = train_for_workspace(settings, read_records(file))
        if models.intent is None and models.tone is None:
            raise TicketflowError(f"{file}: no record has labels.intent or labels.sentiment")
        for path in save_models(settings, models):
            _err().print(f"saved {path}")
    except TicketflowError as exc:
        raise _fail(exc) from exc
    report = models.intent.report if models.intent is not None else None
    measured: dict[str, Any] | None = None
    if report is not None:
        trade = escalation_on_held_out(settings, models)
        measured = {**jsonable(report), "weak": jsonable(report.weak), "escalation": jsonable(trade)}
    if as_json:
        sys.stdout.write(json.dumps({"intent": measured}, indent=2) + "\n")
    elif measured is not None:
        render_training(measured, Console())
    elif models.intent is not None:
        _err().print("this routing backend does not report its training figures yet")


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="the customer's message")],
    workspace: WorkspaceOpt = Path("examples/store"),
    customer: Annotated[
        str | None, typer.Option("--customer", help="the customer's email address or id (for account facts)")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="the message's subject")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as one JSON object")] = False,
) -> None:
    """Run one message through the whole pipeline in-process (nothing stored or sent) and explain it:
    the decision with its reasons, the context used, the draft, every check and the cost."""
    from ticketflow.evals.ask import ask as ask_one
    from ticketflow.evals.ask import explain, prompt_of
    from ticketflow.evals.render import render_ask
    from ticketflow.wiring.engine import Engine

    if not text.strip():
        raise _fail(TicketflowError("the message is empty: give the customer's words as the argument"))
    try:
        engine = Engine.from_workspace(workspace, with_store=False)
        try:
            result = ask_one(engine, text, customer=customer, subject=subject)
            explained = explain(result, prompt_of(engine, result))
        finally:
            engine.close()
    except TicketflowError as exc:
        raise _fail(exc) from exc
    if as_json:
        sys.stdout.write(json.dumps(explained, indent=2) + "\n")
    else:
        render_ask(explained, Console())


@app.command(name="eval")
def eval_(
    file: Annotated[Path, typer.Argument(help="ticket-eval JSONL file")],
    workspace: WorkspaceOpt = Path("examples/store"),
    cv: Annotated[int | None, typer.Option("--cv", help="train and test in K folds of the file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
) -> None:
    """Run the pipeline in-process over FILE and report every metric whose labels are present."""
    from rich.progress import Progress

    from ticketflow.evals.records import read_records
    from ticketflow.evals.render import render_eval
    from ticketflow.evals.runner import evaluate
    from ticketflow.wiring.engine import Engine

    try:
        records = read_records(file)
        engine = Engine.from_workspace(workspace, with_store=False)
        with Progress(console=_err(), transient=True, redirect_stdout=False, redirect_stderr=False) as bar:
            task = bar.add_task("evaluating", total=len(records))
            report: dict[str, Any] = evaluate(engine, records, cv=cv, progress=lambda n: bar.advance(task, n))
    except (TicketflowError, ValueError) as exc:
        raise _fail(exc) from exc
    report["file"] = str(file)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        render_eval(report, Console())


keys_app = typer.Typer(no_args_is_help=True, help="API keys for machines: every route but /healthz needs one")
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="who or what holds the key, e.g. 'zendesk bridge'")],
    scope: Annotated[
        list[str],
        typer.Option("--scope", help="ingest | read | agent | metrics | admin (repeat for several)"),
    ],
    webhook_url: Annotated[
        str | None,
        typer.Option("--webhook-url", help="post replies to this key's messages here, signed (https://…)"),
    ] = None,
    workspace: WorkspaceOpt = Path("examples/store"),
) -> None:
    """Create a key and print it once (only its hash is stored).

    With ``--webhook-url``, replies and holding messages to the key's messages are posted there, signed
    with a new webhook secret printed once on the second line (stored to sign, never shown again).
    """
    from ticketflow.domain.access import check_webhook_url, parse_scopes
    from ticketflow.settings import Settings
    from ticketflow.wiring.access import api_keys

    signing: str | None = None
    try:
        scopes = parse_scopes(scope)
        if webhook_url is not None:
            check_webhook_url(webhook_url)
        with api_keys(Settings.load(workspace)) as keys:
            key, token = keys.create(name, scopes)
            if webhook_url is not None:
                signing = keys.set_webhook(key.id, webhook_url)
    except (TicketflowError, ValueError) as exc:
        raise _fail(exc) from exc
    sys.stdout.write(token + "\n")
    if signing is not None:
        sys.stdout.write(signing + "\n")
    _err().print(f"key [bold]{key.id}[/] ({', '.join(sorted(scopes))}): store it now, it is not shown again")
    if signing is not None:
        _err().print("the second line is its webhook signing secret: store it too, it is not shown again")


@keys_app.command("list")
def keys_list(workspace: WorkspaceOpt = Path("examples/store")) -> None:
    """List keys (id, name, scopes, webhook, created, revoked); secrets are never shown."""
    from rich.table import Table

    from ticketflow.settings import Settings
    from ticketflow.wiring.access import api_keys

    try:
        with api_keys(Settings.load(workspace)) as keys:
            listed = keys.list()
    except TicketflowError as exc:
        raise _fail(exc) from exc
    table = Table("id", "name", "scopes", "webhook", "created", "revoked")
    for key in listed:
        revoked = f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else ""
        scopes = ", ".join(sorted(key.scopes))
        webhook = "yes" if key.webhook else ""
        created = f"{key.created_at:%Y-%m-%d %H:%M}"
        table.add_row(key.id, escape(key.name), scopes, webhook, created, revoked)
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id, as `keys list` shows it")],
    workspace: WorkspaceOpt = Path("examples/store"),
) -> None:
    """Revoke a key: it stops authenticating at once."""
    from ticketflow.settings import Settings
    from ticketflow.wiring.access import api_keys

    try:
        with api_keys(Settings.load(workspace)) as keys:
            revoked = keys.revoke(key_id)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    if not revoked:
        raise _fail(TicketflowError(f"no active key {key_id!r}; see `ticketflow keys list`"))
    _err().print(f"revoked {key_id}")


app.add_typer(users_app, name="users")


channels_app = typer.Typer(
    no_args_is_help=True,
    help="Helpdesk channels: check their credentials, print what to set up on their side",
)
app.add_typer(channels_app, name="channels")


@channels_app.command("check")
def channels_check(
    workspace: WorkspaceOpt = Path("examples/store"),
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            envvar="TICKETFLOW_API__PUBLIC_URL",
            help=r"where helpdesks reach this server (default: \[api] public_url)",
        ),
    ] = None,
) -> None:
    """For each configured helpdesk: check its credentials with one authenticated GET, then print its
    webhook URL and what to enter on the helpdesk's side. Exit status 1 when a check fails; secrets are
    named by their environment variable, never shown."""
    from ticketflow.settings import Settings
    from ticketflow.wiring import desks

    try:
        settings = Settings.load(workspace)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    names = desks.configured(settings.channels)
    if not names:
        typer.echo(
            "no helpdesk is configured: add [channels.zendesk], [channels.intercom] or [channels.freshdesk] "
            f"to {workspace / 'ticketflow.toml'} (see docs/channels.md)"
        )
        raise typer.Exit(code=1)
    base = public_url or settings.api.public_url
    failed = []
    for name in names:
        typer.echo(f"== {name}")
        try:
            channel = desks.helpdesk(name, settings.channels)
            try:
                typer.echo(f"credentials: ok, {desks.check(name, settings.channels, channel)}")
            finally:
                close = getattr(channel, "close", None)
                if callable(close):
                    close()
        except TicketflowError as exc:
            failed.append(name)
            typer.echo(f"credentials: FAILED: {exc}")
        _print_setup(desks.setup(name, settings.channels, base))
    if base is None:
        typer.echo("note: pass --public-url (or set [api] public_url) to print the real webhook URLs")
    if failed:
        typer.echo(f"{len(failed)} check(s) failed: {', '.join(failed)}")
        raise typer.Exit(code=1)


def _print_setup(setup: Any) -> None:
    """The helpdesk-side settings, as plain text: what is pasted must reach the terminal unwrapped."""
    typer.echo(f"webhook URL: {setup.webhook_url}")
    typer.echo("on the helpdesk's side:")
    for number, step in enumerate(setup.steps, 1):
        typer.echo(f"  {number}. {step}")
    for what, text in setup.paste:
        typer.echo(f"  {what}:")
        for line in text.splitlines():
            typer.echo(f"    {line}")
    typer.echo("")


from ticketflow.cli_reports import report, review_app  # noqa: E402  (commands kept in their own module)

app.command(name="report")(report)
app.add_typer(review_app, name="review")
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")
app.command("erase")(erase)
from ticketflow.cli_alerts import alerts_app  # noqa: E402  (a sub-app of its own module)

app.add_typer(alerts_app, name="alerts")
from ticketflow.cli_import import import_app  # noqa: E402  (a sub-app of its own module)

app.add_typer(import_app, name="import")
from ticketflow.cli_replay import replay  # noqa: E402  (its own module)

app.command(name="replay")(replay)


def main() -> None:
    """The console script's entry point (``ticketflow``)."""
    app()


if __name__ == "__main__":
    main()
