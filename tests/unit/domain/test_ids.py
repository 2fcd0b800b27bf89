"""Tests for ticketflow.domain.ids: ids derived from channel message ids are stable and distinct."""

from __future__ import annotations

import re

from ticketflow.domain.ids import conversation_id_for, ticket_id_for, workflow_key


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
