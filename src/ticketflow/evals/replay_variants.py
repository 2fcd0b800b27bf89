"""``--variant KEY=VALUE``: the settings of a replay's second arm, checked against ``Settings`` key by key.

A key is a dotted path through ``ticketflow.toml``'s sections (``routing.unsure_threshold``,
``models.generation``, ``validation.policy.grounding``, ``context.rankers``); a value is written as in that
file (``0.6``, ``true``, ``["questions"]``, ``"text"``), with bare words taken as text and ``null`` for
"unset". ``workspace=DIR`` swaps the whole workspace (its prompt files, policies, knowledge base, rules and
toml) for another folder, the way to try an edited prompt or knowledge base.
"""

from __future__ import annotations

import tomllib
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ticketflow.errors import ConfigError, InputError
from ticketflow.settings import Settings

ONE_DATABASE = frozenset({"database_url", "system_database_url"})
"""Keys a variant may not change: both arms read the one database being replayed."""


@dataclass(frozen=True, slots=True)
class Variant:
    """One ``KEY=VALUE``: the dotted key, the parsed value, and the text as the user wrote it."""

    path: tuple[str, ...]
    value: Any
    text: str
    in_map: bool = False
    """Whether the last part of the key is a key of a map (``validation.policy.grounding``): the map's
    other keys keep their values."""

    @property
    def key(self) -> str:
        """The dotted key, ``routing.unsure_threshold``."""
        return ".".join(self.path)


def parse_value(raw: str) -> Any:
    """A value as ``ticketflow.toml`` would read it; a bare word is text, ``null`` is None (unset)."""
    raw = raw.strip()
    if raw == "null":
        return None
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings section a field holds (``EmailSettings | None`` holds ``EmailSettings``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _is_mapping(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_mapping(a) for a in get_args(annotation))
    return get_origin(annotation) in (dict, Mapping)


def check_key(path: Sequence[str], text: str) -> bool:
    """``InputError`` naming the variant unless ``path`` is a setting (a section, a field, a map's key);
    whether it ends in a map's key."""
    if not path or not all(path):
        raise InputError(
            f"--variant {text!r}: the key is empty; write KEY=VALUE (routing.unsure_threshold=0.6)"
        )
    if path[0] in ONE_DATABASE:
        raise InputError(
            f"--variant {text!r}: both arms replay the same database; set it for both with "
            "TICKETFLOW_DATABASE_URL or the workspace's database_url"
        )
    model: type[BaseModel] = Settings
    for depth, part in enumerate(path):
        fields = model.model_fields
        where = ".".join(path[:depth]) or "the top level"
        if part not in fields:
            known = ", ".join(sorted(fields))
            raise InputError(
                f"--variant {text!r}: no setting {'.'.join(path[: depth + 1])}; {where} has {known}"
            )
        annotation = fields[part].annotation
        section = _model_of(annotation)
        if section is not None:
            model = section
            continue
        rest = len(path) - depth - 1
        if _is_mapping(annotation) and rest <= 1:
            return rest == 1
        if rest:
            raise InputError(f"--variant {text!r}: {'.'.join(path[: depth + 1])} is a value, not a section")
        return False
    return False


def parse_variants(texts: Sequence[str]) -> list[Variant]:
    """Each ``KEY=VALUE`` parsed and its key checked; the same key twice is an error."""
    variants: list[Variant] = []
    for text in texts:
        key, sep, raw = text.partition("=")
        if not sep:
            raise InputError(f"--variant {text!r}: write KEY=VALUE, e.g. routing.unsure_threshold=0.6")
        path = tuple(p.strip() for p in key.strip().split("."))
        in_map = check_key(path, text)
        value = parse_value(raw)
        if path[0] == "workspace":
            value = Path(str(value))
        variants.append(Variant(path, value, text, in_map))
    keys = [v.key for v in variants]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise InputError(f"--variant: {', '.join(twice)} given twice; give each key once")
    return variants


def _nested(path: Sequence[str], value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {path[-1]: value}
    for part in reversed(path[:-1]):
        out = {part: out}
    return out


def merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it, nested dicts merged key by key (neither is changed)."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _load(workspace: Path, overrides: dict[str, Any]) -> Settings:
    chosen = Path(overrides.pop("workspace", workspace))
    return Settings.load(chosen, **overrides)


def _problem(exc: ConfigError) -> str:
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        return "; ".join(e["msg"] for e in cause.errors())
    return str(exc)


def _current(settings: Settings, path: Sequence[str]) -> dict[str, Any]:
    value: Any = settings
    for part in path:
        value = getattr(value, part)
    return dict(value or {})


def _overrides(workspace: Path, shared: dict[str, Any], variants: Sequence[Variant]) -> dict[str, Any]:
    """``shared`` with ``variants`` laid over it; a map's key is set in the map as the other variants leave
    it (so ``validation.policy.grounding=warn`` keeps the other checks' policies)."""
    overrides = dict(shared)
    for variant in variants:
        if not variant.in_map:
            overrides = merge(overrides, _nested(variant.path, variant.value))
    mapped = [v for v in variants if v.in_map]
    if mapped:
        before = _load(workspace, dict(overrides))
        for variant in mapped:
            field = variant.path[:-1]
            whole = {**_current(before, field), variant.path[-1]: variant.value}
            overrides = merge(overrides, _nested(field, whole))
    return overrides


def variant_settings(
    workspace: Path, variants: Sequence[Variant], base: Mapping[str, Any] | None = None
) -> Settings:
    """Arm B's settings: the workspace's, with ``base`` (what both arms share) and then ``variants`` applied.

    A value the settings refuse is an ``InputError`` naming its variant and why.
    """
    shared = dict(base or {})
    for variant in variants:  # one at a time first, so a refusal names the variant that caused it
        try:
            _load(workspace, _overrides(workspace, shared, [variant]))
        except ConfigError as exc:
            raise InputError(f"--variant {variant.text!r}: {_problem(exc)}") from exc
    try:
        return _load(workspace, _overrides(workspace, shared, variants))
    except ConfigError as exc:
        given = " ".join(v.text for v in variants)
        raise InputError(f"--variant {given}: together they are refused: {_problem(exc)}") from exc


def check_priced(settings: Settings, arm: str) -> None:
    """A projected cost needs a priced model: ``InputError`` naming the arm's ``models.generation`` otherwise
    (a local server, ``provider = "openai-compatible"``, prices itself and is not checked)."""
    from ticketflow.domain.pricing import PRICED_MODELS, price_of

    if settings.resolved_provider == "openai-compatible":
        return
    model = settings.models.generation
    if price_of(model) is None:
        raise InputError(
            f"arm {arm}: models.generation {model!r} has no price, so its cost cannot be projected; "
            f"choose one of {', '.join(PRICED_MODELS)}"
        )
