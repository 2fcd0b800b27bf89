"""``ticketflow import propose`` and ``ticketflow import accept``: a helpdesk's past tickets become the
workspace's labelled examples, through a proposal a person edits (``docs/workspace.md``)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ticketflow.errors import TicketflowError
from ticketflow.evals.importing.fields import FIELDS

WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", envvar="TICKETFLOW_WORKSPACE", help="workspace folder (required)"),
]

FormatOpt = Annotated[str | None, typer.Option("--format", help="csv | jsonl (default: by file name)")]
EncodingOpt = Annotated[
    str, typer.Option(help="auto (a BOM, else UTF-8 with Windows-1252 for lines that are not) or a codec")
]
_MAP_HELP = (
    f"FIELD=COLUMN where the export names a field otherwise (repeat); FIELD is one of {', '.join(FIELDS)}; "
    "FIELD= ignores the column it would be read from (docs/workspace.md lists the names each is found by)"
)

import_app = typer.Typer(
    no_args_is_help=True,
    help="Past tickets from a helpdesk export (CSV or JSONL) as labelled examples: propose intents by "
    "clustering, edit the proposal, accept it into examples.jsonl.",
)


def _err() -> Console:
    return Console(stderr=True)


def _fail(exc: Exception) -> typer.Exit:
    _err().print(f"[bold red]error:[/] {escape(str(exc))}")
    return typer.Exit(code=2)


@import_app.command("propose")
def propose(
    exports: Annotated[list[Path], typer.Argument(help="CSV or JSONL exports (.gz too), read in order")],
    workspace: WorkspaceOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="the proposal file to write")] = Path(
        "proposal.yaml"
    ),
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help=_MAP_HELP),
    ] = None,
    format: FormatOpt = None,
    encoding: EncodingOpt = "auto",
    features: Annotated[
        str, typer.Option(help="auto (embeddings when the extra is installed) | embeddings | tfidf")
    ] = "auto",
    clusters: Annotated[
        int | None, typer.Option("--clusters", help="this many clusters instead of the silhouette rule")
    ] = None,
    max_clusters: Annotated[int, typer.Option(help="the rule's largest number of clusters")] = 200,
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="report malformed rows and go on instead of stopping")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing proposal file")] = False,
) -> None:
    """Read the exports and write a proposal: tickets the export labelled grouped by their label, the rest
    clustered into proposed intents, each with a suggested name, size, terms and example messages."""
    from ticketflow.evals.importing.export import ExportRead, describe, read_exports
    from ticketflow.evals.importing.fields import parse_overrides
    from ticketflow.evals.importing.proposal import dump
    from ticketflow.evals.importing.propose import Options
    from ticketflow.evals.importing.propose import propose as make_proposal
    from ticketflow.settings import Settings
    from ticketflow.wiring.importing import masking, message_encoder, workspace_intents

    if out.exists() and not force:
        raise _fail(TicketflowError(f"{out} exists (it may hold your edits); pass --force or another --out"))
    try:
        settings = Settings.load(workspace)
        overrides = parse_overrides(mapping or [])
        encode = message_encoder(features)
        read = ExportRead()
        tickets = list(
            read_exports(
                exports, overrides, read=read, encoding=encoding, format=format, skip_bad=skip_bad_rows
            )
        )
        for said in describe(read):
            _err().print(escape(said))
        for bad in read.bad[:10]:
            _err().print(f"[yellow]skipped:[/] {escape(bad)}")
        if not tickets:
            raise TicketflowError("no ticket with a message was read; check the columns shown above (--map)")
        options = Options(k=clusters, max_clusters=max_clusters)
        _err().print(f"grouping {len(tickets)} tickets…")
        proposal, _ = make_proposal(
            tickets,
            mask=masking(settings),
            encode=encode,
            files=read.files,
            options=options,
            overrides=overrides,
            encoding=encoding,
            format=format,
            known=workspace_intents(settings),
        )
    except TicketflowError as exc:
        raise _fail(exc) from exc
    proposal = replace(proposal, notes=(*describe(read), *proposal.notes))
    out.write_text(dump(proposal, out.name), encoding="utf-8")
    table = Table("group", "size", "intent (suggested)", "terms", "decision")
    for group in proposal.groups:
        terms = ", ".join(str(t) for t in group.about.get("terms", []))
        table.add_row(group.key, str(len(group.members)), escape(group.intent), escape(terms), group.decision)
    Console().print(table)
    for note in proposal.notes[len(describe(read)) :]:
        _err().print(escape(note))
    _err().print(
        f"wrote [bold]{escape(str(out))}[/]: rename, merge (same intent) and decide each group, then "
        f"ticketflow import accept {escape(str(out))} -w {escape(str(workspace))}"
    )


@import_app.command("accept")
def accept(
    proposal_file: Annotated[Path, typer.Argument(help="the edited proposal")],
    workspace: WorkspaceOpt,
    skip_undecided: Annotated[
        bool, typer.Option("--skip-undecided", help="leave out groups still `decision: proposed`")
    ] = False,
    id_prefix: Annotated[str, typer.Option(help="put before each ticket's id in examples.jsonl")] = "import-",
    as_json: Annotated[bool, typer.Option("--json", help="print what was written as JSON")] = False,
) -> None:
    """Write the accepted groups' tickets to the workspace's examples.jsonl as labelled examples (personal
    data masked); then ``ticketflow train`` learns from them."""
    from ticketflow.evals.importing.accept import accept as write_examples
    from ticketflow.evals.importing.proposal import labelling, load
    from ticketflow.settings import Settings
    from ticketflow.wiring.importing import masking

    try:
        settings = Settings.load(workspace)
        proposal = load(proposal_file)
        chosen = labelling(proposal, proposal_file, skip_undecided=skip_undecided)
        examples = settings.workspace / "examples.jsonl"
        _err().print(f"reading the exports again and masking {len(chosen.intents)} tickets…")
        done = write_examples(proposal, chosen, examples, mask=masking(settings), prefix=id_prefix)
    except TicketflowError as exc:
        raise _fail(exc) from exc
    for path in done.changed:
        _err().print(f"[yellow]note:[/] {escape(path)} changed since the proposal; tickets found by id")
    summary = {
        "examples": str(examples),
        "written": sum(done.written.values()),
        "by_intent": dict(done.written.most_common()),
        "already_there": done.already,
        "left_out": chosen.rejected,
        "merged": {k: list(v) for k, v in chosen.merged.items()},
        "undecided_skipped": [g.key for g in chosen.undecided],
    }
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    table = Table("intent", "examples written")
    for intent, count in done.written.most_common():
        table.add_row(escape(intent), str(count))
    Console().print(table)
    for intent, keys in chosen.merged.items():
        _err().print(f"merged {', '.join(keys)} into {escape(intent)}")
    _err().print(
        f"wrote {summary['written']} examples to {escape(str(examples))}; {done.already} were already there, "
        f"{chosen.rejected} tickets left out. Next: ticketflow train {escape(str(examples))} "
        f"-w {escape(str(workspace))}"
    )
