"""HTML in, HTML out: what customers wrote becomes plain text; what we send cannot inject markup."""

from __future__ import annotations

from ticketflow.channels.freshdesk.text import handoff_html, html_to_text, text_to_html
from ticketflow.domain.outcome import Handoff


def test_blocks_and_breaks_become_lines_and_inline_markup_disappears() -> None:
    html = "<div>Hi <b>team</b>,</div><div><br></div><p>one<br>two  three</p><ul><li>a</li><li>b</li></ul>\n"
    assert html_to_text(html) == "Hi team,\n\none\ntwo three\n\na\nb"


def test_scripts_styles_and_entities() -> None:
    html = "<style>p{}</style><script>alert(1)</script><p>Tom &amp; Jerry &lt;3</p>"
    assert html_to_text(html) == "Tom & Jerry <3"


def test_outbound_text_is_escaped_into_paragraphs() -> None:
    assert (
        text_to_html("Hi <Ada>,\nthanks.\n\nBye & see you")
        == "<p>Hi &lt;Ada&gt;,<br>thanks.</p><p>Bye &amp; see you</p>"
    )


def test_what_we_send_reads_back_as_what_we_wrote() -> None:
    text = "Hello Ada,\n\nYour order ships today.\nTracking: NW-1"
    assert html_to_text(text_to_html(text)) == "Hello Ada,\n\nYour order ships today.\nTracking: NW-1"


def test_the_handoff_note_carries_the_whole_package_escaped() -> None:
    handoff = Handoff(
        summary="Refund <asked>",
        reason="refund",
        tried=("routing: trigger 'refund'", "generation: skipped"),
        context_excerpt="Order NW-1, delivered",
        suggested_reply="Hi Ada, a colleague will help.",
    )
    note = handoff_html(handoff)
    text = html_to_text(note)
    for part in ("Summary", "Refund <asked>", "Reason", "refund", "What was tried", "generation: skipped",
                 "Context", "Order NW-1", "Suggested reply", "a colleague will help"):  # fmt: skip
        assert part in text
    assert "<asked>" not in note


def test_a_handoff_without_extras_omits_their_sections() -> None:
    text = html_to_text(handoff_html(Handoff(summary="s", reason="r")))
    assert "What was tried" not in text and "Suggested reply" not in text and "Context" not in text
