"""Accepting a proposal: examples the workspace loader reads and training accepts, masked, written once."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from import_history import PEOPLE, TOPICS, export_rows, to_csv
from ticketflow.domain.records import EvalRecord
from ticketflow.errors import InputError
from ticketflow.evals.importing.accept import accept
from ticketflow.evals.importing.export import ExportRead, read_exports
from ticketflow.evals.importing.proposal import Proposal, labelling
from ticketflow.evals.importing.propose import Options, propose
from ticketflow.knowledge.workspace.loader import read_examples
from ticketflow.settings import Settings
from ticketflow.wiring.models import train_for_workspace

EMAIL = re.compile(r"\S+@\S+\.\w+")


def _mask(text: str, known: tuple[str, ...] = ()) -> str:
    """A stand-in for the pipeline's masker: addresses only (the CLI test runs the real one)."""
    return EMAIL.sub("<EMAIL_ADDRESS_1>", text)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    target = tmp_path / "acme"
    with resources.as_file(resources.files("ticketflow") / "scaffold") as scaffold:
        shutil.copytree(scaffold, target)
    return target


def _proposal(tmp_path: Path) -> Proposal:
    export = tmp_path / "export.csv"
    export.write_text(to_csv(export_rows()), encoding="utf-8")
    read = ExportRead()
    tickets = list(read_exports([export], {}, read=read))
    proposal, _ = propose(tickets, mask=_mask, files=read.files, options=Options(k=len(TOPICS)))
    return replace(proposal, groups=tuple(replace(g, decision="accept") for g in proposal.groups))


def test_accepted_tickets_are_examples_the_workspace_reads_and_train_uses(
    tmp_path: Path, workspace: Path
) -> None:
    proposal = _proposal(tmp_path)
    path = workspace / "examples.jsonl"
    before = read_examples(path)
    done = accept(proposal, labelling(proposal, tmp_path / "p.yaml"), path, mask=_mask)
    after = read_examples(path)
    assert len(after) == len(before) + sum(done.written.values()) == len(before) + len(export_rows())
    imported = [r for r in after if r.id.startswith("import-")]
    assert {str(r.labels["intent"]) for r in imported} == {g.intent for g in proposal.groups}
    assert all(isinstance(r, EvalRecord) and r.messages[0].at is not None for r in imported)
    text = path.read_text(encoding="utf-8")
    assert not any(person in text for person in PEOPLE)
    assert "<EMAIL_ADDRESS_1>" in text
    models = train_for_workspace(Settings.load(workspace), after)
    assert models.intent is not None
    assert {g.intent for g in proposal.groups} <= set(models.intent.labels)


def test_accepting_twice_writes_nothing_twice(tmp_path: Path, workspace: Path) -> None:
    proposal = _proposal(tmp_path)
    path = workspace / "examples.jsonl"
    accept(proposal, labelling(proposal, tmp_path / "p.yaml"), path, mask=_mask)
    written = path.read_bytes()
    again = accept(proposal, labelling(proposal, tmp_path / "p.yaml"), path, mask=_mask)
    assert sum(again.written.values()) == 0 and again.already == len(export_rows())
    assert path.read_bytes() == written


def test_a_member_missing_from_the_export_writes_nothing(tmp_path: Path, workspace: Path) -> None:
    proposal = _proposal(tmp_path)
    first = proposal.groups[0]
    proposal = replace(
        proposal, groups=(replace(first, members=(*first.members, "9999")), *proposal.groups[1:])
    )
    path = workspace / "examples.jsonl"
    before = path.read_bytes()
    with pytest.raises(InputError, match=r"1 accepted tickets are not in the exports any more \('9999'"):
        accept(proposal, labelling(proposal, tmp_path / "p.yaml"), path, mask=_mask)
    assert path.read_bytes() == before
