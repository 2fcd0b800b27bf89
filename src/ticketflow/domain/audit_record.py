"""What a ticket's ``decided`` audit entry records: what a regulated team must show, and no personal value.

Which data reached which model (the placeholders that stood in for masked values, and their kinds: never
the values), each model call's model id, request id and attempt id, the hash of the output, the checks and
their verdicts, the routing decision, the outcome, and who or what submitted the ticket. Texts appear only
as SHA-256 digests, so a record can prove which reply went out without holding it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any

from ticketflow.domain.result import TicketResult

_KIND = re.compile(r"^<([A-Z_]+?)_\d+>$")


def text_sha256(text: str) -> str:
    """The hex SHA-256 of a text's UTF-8 bytes: how the audit names a text without holding it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def masked_kinds(placeholders: tuple[str, ...]) -> dict[str, int]:
    """How many values of each kind were masked, from their placeholders (``<EMAIL_ADDRESS_1>``)."""
    kinds = Counter(m.group(1) for p in placeholders if (m := _KIND.match(p)) is not None)
    return dict(sorted(kinds.items()))


def decided_detail(result: TicketResult) -> dict[str, Any]:
    """The ``decided`` entry: what routing chose and why, what reached which model, and how it ended."""
    d = result.decision
    draft = result.draft
    masked = draft.masked if draft is not None else ()
    return {
        "route": d.route.value,
        "intent": d.intent,
        "confidence": d.confidence,
        "reasons": list(d.reasons),
        "triggers": [t.id for t in d.triggers],
        "out_of_hours": d.out_of_hours,
        "checks": {c.name: c.verdict.value for c in result.checks},
        "outcome": result.delivery.outcome.value,
        "model_calls": len(result.model_calls),
        "calls": [
            {
                "purpose": u.purpose,
                "model": u.model,
                "request_id": u.request_id,
                "attempt_id": u.attempt_id,
                "projected": u.projected,
            }
            for u in result.model_calls
        ],
        "masked": {"placeholders": list(masked), "kinds": masked_kinds(masked)},
        "output_sha256": text_sha256(draft.reply) if draft is not None and draft.reply else None,
        "reply_sha256": text_sha256(result.delivery.body) if result.delivery.body else None,
        "submitted_by": result.ticket.submitted_by,
    }
