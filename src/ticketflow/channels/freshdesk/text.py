"""Freshdesk speaks HTML both ways: conversations arrive as HTML, and replies and notes are sent as HTML.

Inbound HTML becomes plain text with BeautifulSoup and the stdlib ``html.parser`` (no native parser to
install): block elements and ``<br>`` end lines, a paragraph ends with a blank line, scripts and styles are
dropped, runs of blank lines fold to one. Outbound text is escaped and laid out as paragraphs, so nothing a
customer or a model wrote can inject markup into the ticket.
"""

from __future__ import annotations

import html

from bs4 import BeautifulSoup

from ticketflow.domain.outcome import Handoff

_BLOCKS = (
    "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol",
)  # fmt: skip


def html_to_text(markup: str) -> str:
    """The readable text of an HTML fragment, one line per block, without markup."""
    soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup.find_all(["script", "style", "head"]):
        hidden.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCKS):
        block.append("\n\n" if block.name == "p" else "\n")  # a paragraph ends with a blank line
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs: blank lines separate paragraphs, single newlines become ``<br>``."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.strip("\n").split("\n")) + "</p>"
        for p in paragraphs
    )


def handoff_html(handoff: Handoff) -> str:
    """The handoff package as a private note: summary, reason, what was tried, context, suggested reply."""
    parts = [
        "<p><strong>ticketflow handed this ticket to a person</strong></p>",
        f"<p><strong>Summary</strong><br>{_inline(handoff.summary)}</p>",
        f"<p><strong>Reason</strong><br>{_inline(handoff.reason)}</p>",
    ]
    if handoff.tried:
        items = "".join(f"<li>{_inline(step)}</li>" for step in handoff.tried)
        parts.append(f"<p><strong>What was tried</strong></p><ul>{items}</ul>")
    if handoff.context_excerpt.strip():
        parts.append(
            f"<p><strong>Context</strong></p><blockquote>{text_to_html(handoff.context_excerpt)}</blockquote>"
        )
    if handoff.suggested_reply and handoff.suggested_reply.strip():
        suggested = text_to_html(handoff.suggested_reply)
        parts.append(f"<p><strong>Suggested reply</strong></p><blockquote>{suggested}</blockquote>")
    return "".join(parts)


def _inline(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.strip().splitlines())
