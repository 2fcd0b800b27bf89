"""Tests for ticketflow.domain.ids: stored ids are random; the ids of unstored tickets (evaluation) are
derived from the channel's message id, stable and distinct."""

from __future__ import annotations

import re

from ticketflow.domain.ids import (
    MAX_CONVERSATION_REF,
    MAX_EXTERNAL_ID,
    MAX_ID,
    conversation_id_for,
    could_be_id,
    new_conversation_id,
    new_ticket_id,
    thread_ref,
    ticket_id_for,
    workflow_key,
)


def test_workflow_key_names_channel_and_message() -> None:
    assert workflow_key("zendesk", "123") == "msg:zendesk:123"


def test_same_channel_message_gives_the_same_ticket_id() -> None:
    assert ticket_id_for("email", "<abc@mail>") == ticket_id_for("email", "<abc@mail>")


def test_ticket_id_has_a_short_readable_shape() -> None:
    assert re.fullmatch(r"t_[0-9a-f]{20}", ticket_id_for("api", "m-1"))


def test_same_message_id_on_another_channel_is_another_ticket() -> None:
    assert ticket_id_for("api", "42") != ticket_id_for("email", "42")
    assert ticket_id_for("api", "42") != ticket_id_for("api", "43")


def test_conversation_id_is_stable_and_distinct_from_ticket_ids() -> None:
    conv = conversation_id_for("api", "thread-9")

    assert conv == conversation_id_for("api", "thread-9")
    assert re.fullmatch(r"c_[0-9a-f]{20}", conv)
    assert conv != conversation_id_for("email", "thread-9")
    assert conv[2:] != ticket_id_for("api", "thread-9")[2:]


def test_stored_ids_are_random_and_unguessable() -> None:
    tickets = {new_ticket_id() for _ in range(200)}
    conversations = {new_conversation_id() for _ in range(200)}

    assert len(tickets) == len(conversations) == 200
    assert all(re.fullmatch(r"t_[A-Za-z0-9_-]{22}", t) for t in tickets), "128 random bits, URL-safe"
    assert all(re.fullmatch(r"c_[A-Za-z0-9_-]{22}", c) for c in conversations)
    assert all(len(i) <= MAX_ID for i in tickets | conversations)


def test_a_message_without_a_thread_is_a_thread_of_its_own() -> None:
    assert thread_ref("m-1", None) == "ticket:m-1"
    assert thread_ref("m-1", "session-9") == "session-9"
    assert len(thread_ref("x" * MAX_EXTERNAL_ID, None)) <= MAX_CONVERSATION_REF


def test_only_a_short_storable_string_could_name_a_ticket() -> None:
    assert could_be_id(new_ticket_id()) and could_be_id("t_0123456789abcdef0123")
    assert not could_be_id("t_ok\x00") and not could_be_id("t_\udc80") and not could_be_id("t" * 65)
