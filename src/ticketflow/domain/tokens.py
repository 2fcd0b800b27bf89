"""An offline token estimate, for budgets and cost projections when no provider count is at hand.

Claude's tokenizers average roughly 4 characters per token on English prose and split punctuation and
digits finely; taking the larger of the character and word estimates stays within about 15% on support text.
Actual counts come from provider usage whenever a real call is made.
"""

from __future__ import annotations

import math
import re

_WORDS = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """Roughly how many Claude tokens ``text`` is: the larger of the character and word estimates.

    For budgets and projections only (0 for empty text); a real call's usage reports the actual count.
    """
    if not text:
        return 0
    pieces = len(_WORDS.findall(text))
    return max(math.ceil(len(text) / 4), math.ceil(pieces * 0.75))
