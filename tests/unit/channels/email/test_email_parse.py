"""Raw mail to the customer's new text: charsets, HTML, multipart, attachments, and reply chains."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from conftest import Build
from ticketflow.channels.email.parse import display_subject, html_to_text, read, strip_quotes

CHAINS_FILE = Path(__file__).parents[3] / "data" / "reply_chains.jsonl"
CHAINS = [json.loads(line) for line in CHAINS_FILE.read_text(encoding="utf-8").splitlines()]


def _normalised(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("charset", "encoded"),
    [
        ("utf-8", "Grüße aus Köln, où est ma commande ?".encode()),
        ("iso-8859-1", "Grüße aus Köln, où est ma commande ?".encode("iso-8859-1")),
        ("windows-1252", "“Grüße” aus Köln – où est ma commande ?".encode("cp1252")),
    ],
)
def test_each_charset_is_decoded(build: Build, charset: str, encoded: bytes) -> None:
    mail = read(build(encoded, charset=charset))
    assert mail.text == encoded.decode("cp1252" if charset != "utf-8" else "utf-8")


def test_latin1_label_on_windows_1252_bytes_keeps_the_smart_quotes(build: Build) -> None:
    mail = read(build("“Hallo” – danke".encode("cp1252"), charset="iso-8859-1"))
    assert mail.text == "“Hallo” – danke"


def test_a_bogus_charset_never_crashes_and_keeps_what_it_can(build: Build) -> None:
    raw = build("Café au lait, s'il vous plaît \xff".encode("latin-1"), charset="x-no-such-charset")
    raw = raw.replace(b"Subject: Re: Delivery", b"Subject: =?x-bogus?Q?Caf=E9?=")
    mail = read(raw)
    assert mail.text.startswith("Caf") and "au lait, s'il vous pla" in mail.text
    assert mail.subject  # decoded somehow, not an exception


def test_undeclared_utf8_is_read_as_utf8(build: Build) -> None:
    raw = build("Grüße".encode(), headers={"Content-Type": "text/plain", "MIME-Version": None})
    assert read(raw).text == "Grüße"


def test_an_html_only_mail_becomes_readable_text_without_scripts_or_styles(build: Build) -> None:
    html = (
        "<html><head><style>p {color: red}</style><title>x</title></head><body>"
        "<p>Hello,<br>my order\n   is late.</p><div>Order: <b>NW-100234</b></div>"
        "<script>alert('x')</script><ul><li>blue mug</li><li>teapot</li></ul></body></html>"
    )
    mail = read(build(html, content_type="text/html"))
    assert mail.text == "Hello,\nmy order is late.\n\nOrder: NW-100234\n\nblue mug\nteapot"


def test_an_html_blockquote_is_recognised_as_quoted_text() -> None:
    html = (
        "<div>Still nothing, sorry.</div><div class='gmail_quote'>On Mon, 3 Mar 2025 at 10:00, Support "
        "&lt;support@northwind.example&gt; wrote:<blockquote>Your order has shipped.<blockquote>Where is it?"
        "</blockquote></blockquote></div>"
    )
    text = html_to_text(html)
    assert "> Your order has shipped.\n> > Where is it?" in text
    assert strip_quotes(text) == "Still nothing, sorry."


def test_multipart_alternative_prefers_the_plain_part() -> None:
    message = EmailMessage()
    message["From"] = "ada@example.com"
    message["Subject"] = "Delivery"
    message.set_content("The plain words.")
    message.add_alternative("<p>The <b>HTML</b> words.</p>", subtype="html")
    assert read(message.as_bytes()).text == "The plain words."


def test_attachments_are_recorded_but_their_content_is_not_passed_on() -> None:
    message = EmailMessage()
    message["From"] = "ada@example.com"
    message["Subject"] = "Invoice wrong"
    message.set_content("The invoice attached shows the wrong amount.")
    secret = b"%PDF-1.7 SECRET-INVOICE-CONTENT"
    message.add_attachment(secret, maintype="application", subtype="pdf", filename="invoice.pdf")
    message.add_attachment("LOG LINE 1\n", subtype="plain", filename="log.txt")
    mail = read(message.as_bytes())
    assert [(a.name, a.content_type, a.size) for a in mail.attachments] == [
        ("invoice.pdf", "application/pdf", len(secret)),
        ("log.txt", "text/plain", len(b"LOG LINE 1\n")),
    ]
    assert "SECRET-INVOICE-CONTENT" not in mail.text and "LOG LINE" not in mail.text
    assert mail.text.startswith("The invoice attached shows the wrong amount.")
    assert "[attachment: invoice.pdf (application/pdf, 31 bytes)]" in mail.text


@pytest.mark.parametrize(
    ("subject", "shown"),
    [
        ("Re: Delivery", "Delivery"),
        ("RE: AW: Fwd: Delivery", "Delivery"),
        ("Re[2]: SV: WG: Lieferung", "Lieferung"),
        ("回复：订单", "订单"),
        ("Return policy", "Return policy"),
        ("Reply needed", "Reply needed"),
    ],
)
def test_the_subject_is_shown_without_reply_prefixes(subject: str, shown: str) -> None:
    assert display_subject(subject) == shown


def test_the_sender_is_the_from_address_lower_cased(build: Build) -> None:
    assert read(build()).sender == "ada@example.com"


def test_the_reply_chains_file_covers_ten_languages_and_forty_chains() -> None:
    assert len(CHAINS) >= 40
    assert {c["lang"] for c in CHAINS} >= {"en", "de", "fr", "es", "nl", "it", "sv", "pl", "ja", "zh"}


@pytest.mark.parametrize("chain", CHAINS, ids=[c["id"] for c in CHAINS])
def test_a_reply_chain_keeps_the_new_text_and_no_quoted_line(chain: dict[str, Any]) -> None:
    got = _normalised(strip_quotes(chain["text"]))
    assert _normalised(chain["expected"].split("\n")[0]) in got, "the customer's new words are kept"
    assert not any(_normalised(old) in got for old in chain["quoted"]), "an earlier message came back"


def test_a_hyphen_list_is_not_taken_for_a_signature() -> None:
    text = "I ordered:\n- 2x blue mug\n- 1x teapot\nOnly the teapot arrived."
    assert strip_quotes(text) == text


def test_a_mail_that_is_all_quote_is_kept_whole() -> None:
    text = "> Your order has shipped.\n> Track it in your account."
    assert strip_quotes(text) == text


def test_the_stored_text_is_the_cleaned_text(build: Build) -> None:
    body = "It worked, thanks!\n\nOn Mon, 3 Mar 2025 at 10:00, Support <s@northwind.example> wrote:\n> Try X."
    mail = read(build(body))
    assert mail.text == "It worked, thanks!"
    assert "> Try X." in mail.full_text
