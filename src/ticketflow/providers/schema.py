"""A small JSON-schema check for structured replies: the subset our schemas use, no dependency.

Supported: ``type`` (a name or a list of names), ``enum``, ``properties``, ``required``,
``additionalProperties: false`` and array ``items``. Anything else in a schema is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ticketflow.domain.draft import Draft, Usage

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is(value: Any, kind: str) -> bool:
    if kind in ("number", "integer") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES.get(kind, (object,)))


def schema_errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema``, as ``path: problem`` strings; empty when it conforms."""
    kinds = schema.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is(value, k) for k in names):
            return [f"{where}: expected {' or '.join(names)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {schema['enum']}"]
    problems: list[str] = []
    if isinstance(value, dict):
        props: dict[str, Any] = schema.get("properties", {})
        problems += [f"{where}: missing {name!r}" for name in schema.get("required", []) if name not in value]
        if schema.get("additionalProperties") is False:
            problems += [f"{where}: unexpected {name!r}" for name in value if name not in props]
        for name, sub in props.items():
            if name in value:
                problems += schema_errors(value[name], sub, f"{where}.{name}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems += schema_errors(item, schema["items"], f"{where}[{i}]")
    return problems


def draft_from_json(
    text: str, schema: dict[str, Any], usages: Sequence[Usage], attempt: int, stop: str
) -> Draft | str:
    """The structured draft in a model's JSON ``text``, or why it is unusable (not JSON, off the schema).

    ``stop`` (e.g. ``stop_reason=max_tokens``) goes into the reason, since a cut-off reply is the usual cause.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg}); {stop}"
    problems = schema_errors(value, schema)
    if problems:
        return "; ".join(problems[:3])
    return Draft(
        reply=value["reply"].strip(),
        action=value["action"],
        escalation_reason=value.get("escalation_reason"),
        cited_sources=tuple(value.get("cited_sources") or ()),
        confidence=float(value.get("confidence") or 0.0),
        usage=tuple(usages),
        attempt=attempt,
    )
