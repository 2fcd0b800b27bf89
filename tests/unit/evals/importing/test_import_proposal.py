"""The proposal file: written, edited as a person would, read back; errors point at the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketflow.errors import InputError
from ticketflow.evals.importing.proposal import Group, Proposal, SourceFile, dump, labelling, load

PROPOSAL = Proposal(
    files=(SourceFile("/data/export.csv", "csv", "ab12"),),
    groups=(
        Group(
            "refund", "accept", ("1", "2"), label="refund", about={"size": 2, "examples": ["give it back"]}
        ),
        Group("parcel_late", "proposed", ("3", "4"), cluster=1, about={"terms": ["parcel"], "cohesion": 0.8}),
        Group("invoice_copy", "proposed", ("5",), cluster=2, about={"examples": ['a "quoted" word: here']}),
        Group("invoice_vat", "proposed", ("6", "7"), cluster=3),
    ),
    overrides={"body": "Notes", "intent": None},
    notes=("kept 7",),
)


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "proposal.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_written_proposal_reads_back_as_it_was(tmp_path: Path) -> None:
    loaded = load(_written(tmp_path, dump(PROPOSAL)))
    assert loaded.files == PROPOSAL.files
    assert loaded.overrides == PROPOSAL.overrides
    assert [(g.intent, g.decision, g.members, g.cluster, g.label) for g in loaded.groups] == [
        (g.intent, g.decision, g.members, g.cluster, g.label) for g in PROPOSAL.groups
    ]
    assert loaded.groups[2].about["examples"] == ['a "quoted" word: here']


def test_renamed_merged_and_rejected_groups_give_each_ticket_its_intent(tmp_path: Path) -> None:
    text = dump(PROPOSAL)
    text = text.replace(
        'intent: "parcel_late"\n  decision: proposed', 'intent: "late_parcel"\n  decision: accept'
    )
    text = text.replace(
        'intent: "invoice_copy"\n  decision: proposed', 'intent: "invoice"\n  decision: accept'
    )
    text = text.replace(
        'intent: "invoice_vat"\n  decision: proposed', 'intent: "invoice"\n  decision: accept'
    )
    text = text.replace('intent: "refund"\n  decision: accept', 'intent: "refund"\n  decision: reject')
    text = text.replace('members: ["6", "7"]', 'members: ["6"]')
    path = _written(tmp_path, text)
    chosen = labelling(load(path), path)
    assert chosen.intents == {"3": "late_parcel", "4": "late_parcel", "5": "invoice", "6": "invoice"}
    assert chosen.merged == {"invoice": ("cluster 2", "cluster 3")}
    assert chosen.rejected == 2


def test_undecided_groups_are_named_with_their_lines_unless_skipped(tmp_path: Path) -> None:
    path = _written(tmp_path, dump(PROPOSAL))
    with pytest.raises(InputError, match=r"3 groups are still `decision: proposed`: cluster 1 \(line \d+\)"):
        labelling(load(path), path)
    chosen = labelling(load(path), path, skip_undecided=True)
    assert set(chosen.intents) == {"1", "2"}
    assert [g.key for g in chosen.undecided] == ["cluster 1", "cluster 2", "cluster 3"]


def test_a_bad_decision_or_intent_names_the_groups_line(tmp_path: Path) -> None:
    text = dump(PROPOSAL)
    line = text.splitlines().index("- cluster: 1") + 1
    path = _written(tmp_path, text.replace("decision: proposed", "decision: yes", 1))
    with pytest.raises(InputError, match=rf"{path}:{line}: groups\[1\]\.decision must be accept"):
        load(path)
    path = _written(tmp_path, text.replace('"parcel_late"', '"late parcel"'))
    with pytest.raises(
        InputError, match=rf"{path}:{line}: groups\[1\]\.intent 'late parcel' must be one word"
    ):
        load(path)


def test_a_ticket_in_two_accepted_groups_is_refused(tmp_path: Path) -> None:
    text = dump(PROPOSAL).replace("decision: proposed", "decision: accept").replace('["5"]', '["5", "3"]')
    path = _written(tmp_path, text)
    with pytest.raises(InputError, match=r"ticket '3' is in cluster 2 and in cluster 1"):
        labelling(load(path), path)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = _written(tmp_path, "version: 1\ngroups:\n- cluster: 1\n  intent: [unclosed\n")
    with pytest.raises(InputError, match=rf"{path}:\d+: not valid YAML"):
        load(path)
