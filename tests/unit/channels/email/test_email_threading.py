"""Which conversation a mail joins: In-Reply-To, then References newest first, else a new one."""

from __future__ import annotations

import hashlib

from conftest import Build
from ticketflow.channels.email.parse import decode
from ticketflow.channels.email.threading import (
    Ids,
    as_message_id,
    conversation,
    external_id,
    ids,
    message_ids,
)


def test_in_reply_to_finds_the_conversation(build: Build) -> None:
    found = ids(decode(build(headers={"In-Reply-To": "<ours-2@northwind.example>"})))
    known = {"<ours-2@northwind.example>": "<first@example.com>"}
    assert conversation(found, known.get) == "<first@example.com>"


def test_references_are_tried_newest_first(build: Build) -> None:
    refs = "<a@example.com> <b@example.com>\r\n <c@example.com>"
    found = ids(decode(build(headers={"References": refs, "In-Reply-To": "<unknown@example.com>"})))
    asked: list[str] = []
    known = {"<a@example.com>": "conv-a", "<b@example.com>": "conv-b"}

    def lookup(message_id: str) -> str | None:
        asked.append(message_id)
        return known.get(message_id)

    assert conversation(found, lookup) == "conv-b"
    assert asked == ["<unknown@example.com>", "<c@example.com>", "<b@example.com>"]


def test_an_unknown_thread_is_a_new_conversation(build: Build) -> None:
    found = ids(decode(build(headers={"In-Reply-To": "<nobody@example.com>"})))
    assert conversation(found, {}.get) is None


def test_a_missing_message_id_falls_back_to_a_content_hash(build: Build) -> None:
    raw = build(headers={"Message-ID": None})
    found = ids(decode(raw))
    assert found.message_id is None
    assert external_id(found, raw) == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert external_id(found, raw + b"x") != external_id(found, raw)


def test_the_message_id_is_the_external_id(build: Build) -> None:
    raw = build()
    assert external_id(ids(decode(raw)), raw) == "<m-1@example.com>"


def test_ids_are_extracted_from_unstructured_headers() -> None:
    assert message_ids('"x" <a@b> junk <c@d>\t<a@b>') == ("<a@b>", "<c@d>")
    assert message_ids(None) == ()


def test_the_chain_of_a_reply_follows_rfc_5322() -> None:
    assert Ids("<m3@x>", ("<m2@x>",), ("<m1@x>", "<m2@x>")).chain == ("<m1@x>", "<m2@x>", "<m3@x>")
    assert Ids("<m2@x>", ("<m1@x>",)).chain == ("<m1@x>", "<m2@x>")
    assert Ids("<m1@x>").chain == ("<m1@x>",)
    assert Ids(None).chain == ()


def test_bare_ids_are_put_in_wire_form() -> None:
    assert as_message_id("abc@example.com") == "<abc@example.com>"
    assert as_message_id("<abc@example.com>") == "<abc@example.com>"
    assert as_message_id("thread-1") is None
    assert as_message_id(None) is None
