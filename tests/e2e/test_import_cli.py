"""``ticketflow import propose`` → a person's edits → ``ticketflow import accept`` → ``ticketflow train``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from import_history import PEOPLE, TOPICS, export_rows, to_csv
from ticketflow.cli import app

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TICKETFLOW_DATABASE_URL", "TICKETFLOW_SYSTEM_DATABASE_URL", "TICKETFLOW_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    target = tmp_path / "acme"
    assert runner.invoke(app, ["init", str(target)]).exit_code == 0
    return target


def _flat(output: str) -> str:
    """Rich wraps long lines at the terminal's width: compare the words."""
    return " ".join(output.split())


def test_propose_edit_accept_and_train(tmp_path: Path, workspace: Path) -> None:
    export = tmp_path / "zendesk.csv"
    export.write_text(to_csv(export_rows(), delimiter=";"), encoding="utf-8-sig")
    proposal = tmp_path / "proposal.yaml"
    args = ["import", "propose", str(export), "-w", str(workspace), "-o", str(proposal)]
    made = runner.invoke(app, [*args, "--features", "tfidf", "--clusters", str(len(TOPICS))])
    assert made.exit_code == 0, made.output
    said = _flat(made.output)
    assert "body ← Description" in said and "kept 36" in said
    text = proposal.read_text(encoding="utf-8")
    assert text.count("decision: proposed") == len(TOPICS)
    assert 'statuses: {"solved": 1.0}' in text and '"web": 1.0' in text  # what helps decide
    assert not any(person in text for person in PEOPLE), "the proposal's examples carry no address"

    again = runner.invoke(app, [*args, "--features", "tfidf"])
    assert again.exit_code == 2 and "exists" in again.output  # a person's edits are never overwritten

    undecided = runner.invoke(app, ["import", "accept", str(proposal), "-w", str(workspace)])
    assert undecided.exit_code == 2 and "still `decision: proposed`" in undecided.output

    proposal.write_text(text.replace("decision: proposed", "decision: accept"), encoding="utf-8")
    accepted = runner.invoke(app, ["import", "accept", str(proposal), "-w", str(workspace), "--json"])
    assert accepted.exit_code == 0, accepted.output
    summary = json.loads(accepted.stdout[accepted.stdout.index("{") :])
    assert summary["written"] == len(export_rows())

    examples = (workspace / "examples.jsonl").read_text(encoding="utf-8")
    imported = [json.loads(line) for line in examples.splitlines() if '"source": "import"' in line]
    assert len(imported) == len(export_rows())
    assert not any(person in examples for person in PEOPLE)
    assert "<EMAIL_ADDRESS_1>" in examples and "<PHONE_NUMBER_1>" in examples

    trained = runner.invoke(app, ["train", str(workspace / "examples.jsonl"), "-w", str(workspace), "--json"])
    assert trained.exit_code == 0, trained.output
    assert (workspace / "var" / "models" / "intent.joblib").exists()


def test_a_bad_row_stops_propose_with_file_and_line(tmp_path: Path, workspace: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("id,subject,body\n1,Hi,fine\n2,Hi,too,many\n", encoding="utf-8")
    out = tmp_path / "p.yaml"
    failed = runner.invoke(app, ["import", "propose", str(export), "-w", str(workspace), "-o", str(out)])
    assert failed.exit_code == 2
    assert f"{export}:3: 4 fields where the header has 3" in _flat(failed.output)
    assert not out.exists()
