"""What ``ticketflow init`` writes: the commented sample workspace, or a blank one for your own documents.

The sample (``ticketflow/scaffold/``) is an imaginary shop with labelled tickets, phrasings, customers and
a canned answer, so that ``ticketflow demo`` has something to run. A company bringing its own documents
wants none of that: trained on the sample's tickets, the router would sort its customers into the sample's
intents. ``blank`` keeps the settings, the escalation rules and the voice guide, and leaves ``kb/`` and
``policies/`` empty, so the workspace starts retrieval-first (no intent model) until labelled tickets exist.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from ticketflow.errors import TicketflowError

SAMPLE_NAME = "Example Co"
# the sample's own content; a blank workspace has none of it
SAMPLE_ONLY = ("examples.jsonl", "intents.yaml", "customers.csv", "orders.csv")
DOCUMENT_FOLDERS = ("kb", "policies")
NAMED_FILES = ("ticketflow.toml", "voice.md", "rules.yaml")


def scaffold_workspace(directory: Path, *, name: str | None = None, blank: bool = False) -> list[Path]:
    """Write a workspace into ``directory`` (new or empty) and return the files written.

    ``name`` replaces the sample's company name wherever it appears (settings, voice guide, canned
    answers). Raises ``TicketflowError`` when the folder holds anything or the name is empty.
    """
    if directory.exists() and any(directory.iterdir()):
        raise TicketflowError(f"{directory} exists and is not empty; choose a new folder")
    if name is not None and not name.strip():
        raise TicketflowError("--name is empty; give the company's name as customers know it")
    source = resources.files("ticketflow") / "scaffold"
    with resources.as_file(source) as folder:
        skip = shutil.ignore_patterns("__pycache__", *(SAMPLE_ONLY if blank else ()))
        shutil.copytree(folder, directory, dirs_exist_ok=True, ignore=skip)
    if blank:
        for sub in DOCUMENT_FOLDERS:
            for doc in (directory / sub).glob("*.md"):
                doc.unlink()
        rules = directory / "rules.yaml"
        rules.write_text(_without_canned_answers(rules.read_text(encoding="utf-8")), encoding="utf-8")
    if name is not None:
        for file in NAMED_FILES:
            path = directory / file
            path.write_text(path.read_text(encoding="utf-8").replace(SAMPLE_NAME, name.strip()), "utf-8")
    return sorted(p for p in directory.rglob("*") if p.is_file())


def _without_canned_answers(rules: str) -> str:
    """The sample's ``canned:`` block commented out (kept as an example) and ``canned: {}`` in its place.

    The block runs from its ``canned:`` line to the next top-level key; the sample's intent-to-reason map
    (``escalate.intents``) names the sample's intents, so its entries are commented out as well.
    """
    out: list[str] = []
    section = ""
    for line in rules.splitlines():
        top = line[:1].isalpha()
        if top:
            section = line.split(":", 1)[0]
        if section == "canned" and line.strip():
            out.append("canned: {}  # your approved answers, for example:" if top else f"#{line}")
            if top:
                out.append("#canned:")
            continue
        entry = line.startswith("    ") and not line.strip().startswith("#")
        if section == "escalate" and entry and _in_intents(out):
            out.append(f"#{line}")
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _in_intents(previous: list[str]) -> bool:
    """Whether the lines so far leave us inside ``escalate.intents`` (its entries indented by four)."""
    for line in reversed(previous):
        if line.startswith("  ") and not line.startswith("   "):
            return line.strip().startswith("intents:")
    return False
