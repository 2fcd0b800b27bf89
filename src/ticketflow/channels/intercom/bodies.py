"""What ticketflow posts to Intercom, as the HTML its bodies are (FACTS-channels §2.3, §2.5).

Our replies and handoffs are plain text; they are escaped and laid out as paragraphs so a customer's
``<`` or an address in angle brackets shows as written instead of becoming markup.
"""

from __future__ import annotations

from html import escape

from ticketflow.domain.outcome import Handoff


def text_to_html(text: str) -> str:
    """Plain text as Intercom HTML: blank lines separate paragraphs, single line breaks become ``<br>``."""
    paragraphs = [p.strip("\n") for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{'<br>'.join(escape(line) for line in p.split(chr(10)))}</p>" for p in paragraphs)


def handoff_html(handoff: Handoff) -> str:
    """The handoff package as an internal note: reason, summary, what was tried, context, suggested reply."""
    parts = [
        f"<p><b>ticketflow handed this conversation over</b>: {escape(handoff.reason)}</p>",
        f"<p><b>Summary</b><br>{escape(handoff.summary)}</p>",
    ]
    if handoff.tried:
        items = "".join(f"<li>{escape(step)}</li>" for step in handoff.tried)
        parts.append(f"<p><b>What was tried</b></p><ul>{items}</ul>")
    if handoff.context_excerpt:
        parts.append(f"<p><b>Context</b></p>{text_to_html(handoff.context_excerpt)}")
    if handoff.suggested_reply:
        parts.append(f"<p><b>Suggested reply</b></p>{text_to_html(handoff.suggested_reply)}")
    return "".join(parts)
