"""Turn domain values into JSON-ready structures for the ledger, the API and reports."""

from __future__ import annotations

import dataclasses
import enum
import re
from datetime import datetime
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types, for the ledger, the API and reports.

    Enums become their value, dataclasses dicts (less the fields marked ``metadata={"json": False}``),
    sequences and sets lists, times ISO-8601 strings, patterns their source; anything else is left as it is.
    """
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # a field marked metadata={"json": False} is internal (e.g. a check's model calls, in the ledger)
        fields = (f for f in dataclasses.fields(value) if f.metadata.get("json", True))
        return {f.name: jsonable(getattr(value, f.name)) for f in fields}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, re.Pattern):
        return value.pattern
    return value
