"""``[retention]`` periods: what they accept, and a clear error naming a bad one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from ticketflow.settings import RetentionSettings, parse_period


@pytest.mark.parametrize(
    ("text", "period"),
    [("0d", timedelta(0)), ("12h", timedelta(hours=12)), ("365d", timedelta(days=365)),
     ("2w", timedelta(days=14)), ("7y", timedelta(days=7 * 365))],
)  # fmt: skip
def test_a_period_is_a_number_and_a_unit(text: str, period: timedelta) -> None:
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["", "7", "d", "-1d", "1.5d", "3 months"])
def test_anything_else_is_refused_naming_it(text: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        parse_period(text)


def test_the_section_refuses_a_bad_period_and_reads_a_good_one() -> None:
    with pytest.raises(ValidationError, match="messages"):
        RetentionSettings(messages="forever")
    assert RetentionSettings(checkpoints="1d").period("checkpoints") == timedelta(days=1)
