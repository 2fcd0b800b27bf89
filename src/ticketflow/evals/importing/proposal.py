"""The proposal file: groups of past tickets, each with the intent they would get, for a person to edit.

Written by ``ticketflow import propose`` and read back by ``ticketflow import accept``. A person renames a
group (``intent``), merges groups (the same ``intent`` on both), decides each (``decision: accept`` or
``reject``), and may delete ids from ``members``. Only ``intent``, ``decision`` and ``members`` are read back;
the rest is there to decide by. Errors name the file and line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ticketflow.errors import InputError

VERSION = 1
DECISIONS = ("accept", "reject", "proposed")
_INTENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_LINE = "__line__"
_READ_BACK = {_LINE, "intent", "decision", "members", "cluster", "label"}

HEADER = """\
# ticketflow import proposal. Edit it, then: ticketflow import accept {name} -w WORKSPACE
#
# Each group below is a set of past tickets. For each one:
#   intent:   the intent its tickets get; rename freely (one word: letters, digits, _ . -).
#             Groups given the same intent are merged.
#   decision: accept (its tickets become labelled examples) or reject (left out); `proposed` is
#             undecided, and accept refuses to run while any group is undecided (or pass --skip-undecided).
#   members:  the tickets' ids; delete an id to leave that ticket out.
# A `label` group holds tickets the export had already labelled; a `cluster` group was found by clustering.
# size, cohesion (mean similarity to the group's centre, 0..1), terms, tags, statuses, nearest_intent (the
# known intent, labelled in the export or in the workspace, most like the group: cosine 0..1; give the
# group its name to merge), examples (nearest the centre) and edge (furthest from it) help you decide;
# they are not read back.
"""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """An export the proposal was made from, as read (accept reads it again to find the members)."""

    path: str
    format: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Group:
    """One group of tickets and the intent they would get."""

    intent: str
    decision: str
    members: tuple[str, ...]
    cluster: int | None = None
    label: str | None = None
    about: Mapping[str, Any] = field(default_factory=dict)
    """What helps decide (size, cohesion, terms, tags, statuses, nearest_intent, examples, edge)."""
    line: int | None = None

    @property
    def key(self) -> str:
        """``cluster 3`` or ``label refund``: how messages name the group."""
        return f"cluster {self.cluster}" if self.cluster is not None else f"label {self.label}"


@dataclass(frozen=True, slots=True)
class Proposal:
    """Where the tickets came from, how they were read, what clustering chose, and the groups."""

    files: tuple[SourceFile, ...]
    groups: tuple[Group, ...]
    overrides: Mapping[str, str | None] = field(default_factory=dict)
    encoding: str = "auto"
    format: str | None = None
    notes: tuple[str, ...] = ()
    """Comment lines under the header: what reading and clustering did (not read back)."""


def _scalar(value: Any) -> str:
    """One YAML value on one line (JSON's scalars and flow collections are YAML too)."""
    return json.dumps(value, ensure_ascii=False)


def dump(proposal: Proposal, name: str = "proposal.yaml") -> str:
    """The proposal as YAML with a header that says how to edit it."""
    out = [HEADER.format(name=name)]
    out += [f"# {note}" for note in proposal.notes]
    out += [f"version: {VERSION}", "source:", "  files:"]
    for f in proposal.files:
        out += [f"  - path: {_scalar(f.path)}", f"    format: {f.format}", f"    sha256: {f.sha256}"]
    out.append(f"  map: {_scalar(dict(proposal.overrides))}")
    out.append(f"  encoding: {_scalar(proposal.encoding)}")
    out.append(f"  format: {_scalar(proposal.format)}")
    out.append("groups:")
    for group in proposal.groups:
        head = f"cluster: {group.cluster}" if group.cluster is not None else f"label: {_scalar(group.label)}"
        out += [f"- {head}", f"  intent: {_scalar(group.intent)}", f"  decision: {group.decision}"]
        for key, value in group.about.items():
            if key in ("examples", "edge") and isinstance(value, list):
                out.append(f"  {key}:")
                out += [f"  - {_scalar(v)}" for v in value]
            else:
                out.append(f"  {key}: {_scalar(value)}")
        out.append(f"  members: {_scalar(list(group.members))}")
    return "\n".join(out) + "\n"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, so errors point at the group."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping


def load(path: Path) -> Proposal:
    """Read an edited proposal; anything that cannot be used raises ``InputError`` naming file and line."""
    if not path.is_file():
        raise InputError(f"{path}: no such file (make one with `ticketflow import propose`)")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else "?"
        raise InputError(f"{path}:{line}: not valid YAML ({exc.problem})") from exc
    if not isinstance(raw, dict) or raw.get("version") != VERSION or not isinstance(raw.get("groups"), list):
        raise InputError(f"{path}: not a ticketflow import proposal (version {VERSION} with a groups list)")
    source = raw.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("files"), list):
        raise InputError(f"{path}: the source section with its files is missing")
    files = tuple(_file(f, path) for f in source["files"])
    overrides = source.get("map") or {}
    if not isinstance(overrides, dict):
        raise InputError(f"{path}:{source[_LINE]}: source.map must be a mapping")
    overrides = {str(k): (str(v) if v is not None else None) for k, v in overrides.items() if k != _LINE}
    groups = tuple(_group(g, i, path) for i, g in enumerate(raw["groups"]))
    encoding, fmt = source.get("encoding") or "auto", source.get("format")
    return Proposal(files, groups, overrides, str(encoding), str(fmt) if fmt else None)


def _file(raw: object, path: Path) -> SourceFile:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
        raise InputError(f"{path}: each source file needs a path")
    return SourceFile(raw["path"], str(raw.get("format", "")), str(raw.get("sha256", "")))


def _group(raw: object, index: int, path: Path) -> Group:
    if not isinstance(raw, dict):
        raise InputError(f"{path}: groups[{index}] must be a mapping")
    line = raw[_LINE]
    where = f"{path}:{line}: groups[{index}]"
    intent, decision, members = raw.get("intent"), raw.get("decision"), raw.get("members")
    if not isinstance(intent, str) or not _INTENT.match(intent):
        raise InputError(
            f"{where}.intent {intent!r} must be one word of letters, digits, _ . - (e.g. cancel_order)"
        )
    if decision not in DECISIONS:
        raise InputError(f"{where}.decision must be accept, reject or proposed, not {decision!r}")
    if not isinstance(members, list):
        raise InputError(f"{where}.members must be a list of ticket ids")
    cluster, label = raw.get("cluster"), raw.get("label")
    if cluster is None and label is None:
        raise InputError(f"{where}: a group needs its `cluster` number or its `label`")
    about = {k: v for k, v in raw.items() if k not in _READ_BACK}
    return Group(
        intent=intent,
        decision=str(decision),
        members=tuple(str(m) for m in members),
        cluster=int(cluster) if cluster is not None else None,
        label=str(label) if label is not None else None,
        about=about,
        line=line,
    )


@dataclass(frozen=True, slots=True)
class Labelling:
    """What the edited proposal asks for: each ticket id's intent, and what was merged or left undecided."""

    intents: Mapping[str, str]
    merged: Mapping[str, tuple[str, ...]]
    """Per intent given to more than one accepted group, those groups' keys."""
    undecided: tuple[Group, ...]
    rejected: int
    """Tickets in rejected (or skipped undecided) groups."""


def labelling(proposal: Proposal, path: Path, *, skip_undecided: bool = False) -> Labelling:
    """Each accepted ticket's intent; a ticket in two accepted groups, or an undecided group without
    ``skip_undecided``, raises ``InputError`` naming the lines."""
    undecided = tuple(g for g in proposal.groups if g.decision == "proposed")
    if undecided and not skip_undecided:
        shown = ", ".join(f"{g.key} (line {g.line})" for g in undecided[:8])
        more = f" and {len(undecided) - 8} more" if len(undecided) > 8 else ""
        raise InputError(
            f"{path}: {len(undecided)} groups are still `decision: proposed`: {shown}{more}; set each to "
            "accept or reject, or pass --skip-undecided to leave them out"
        )
    intents: dict[str, str] = {}
    owner: dict[str, Group] = {}
    by_intent: dict[str, list[str]] = {}
    rejected = 0
    for group in proposal.groups:
        if group.decision != "accept":
            rejected += len(group.members)
            continue
        by_intent.setdefault(group.intent, []).append(group.key)
        for member in group.members:
            if member in owner:
                raise InputError(
                    f"{path}:{group.line}: ticket {member!r} is in {group.key} and in {owner[member].key} "
                    f"(line {owner[member].line}); keep it in one"
                )
            owner[member] = group
            intents[member] = group.intent
    merged = {intent: tuple(keys) for intent, keys in by_intent.items() if len(keys) > 1}
    return Labelling(intents, merged, undecided, rejected)


def group_sizes(groups: Sequence[Group]) -> dict[str, int]:
    """Tickets per intent over the accepted groups (merged groups counted together)."""
    sizes: dict[str, int] = {}
    for group in groups:
        if group.decision == "accept":
            sizes[group.intent] = sizes.get(group.intent, 0) + len(group.members)
    return sizes
