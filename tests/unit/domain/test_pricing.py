"""Tests for ticketflow.domain.pricing.cost_usd: figures worked out by hand from the price table."""

from __future__ import annotations

import pytest

from ticketflow.domain.pricing import PRICED_MODELS, cost_usd

# One call used throughout: 1,000 fresh input, 500 output, 2,000 written to cache, 10,000 read from cache.
CALL = {"input_tokens": 1_000, "output_tokens": 500, "cache_write_tokens": 2_000, "cache_read_tokens": 10_000}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 1000*2.00 + 500*10.00 + 2000*2.50 + 10000*0.20 = 14000 per million
        ("claude-sonnet-5-5", 0.014),
        # 1000*3.00 + 500*15.00 + 2000*3.75 + 10000*0.30 = 21000
        ("claude-sonnet-4-5", 0.021),
        ("claude-sonnet-4-5-20250929", 0.021),
        # 1000*0.10 + 500*0.50 + 2000*0.125 + 10000*0.01 = 700
        ("claude-haiku-5-5", 0.0007),
        # 1000*1.00 + 500*5.00 + 2000*1.25 + 10000*0.10 = 7000
        ("claude-haiku-4-5", 0.007),
        ("claude-haiku-4-5-20251001", 0.007),
    ],
)
def test_cost_with_cache_write_and_read(model: str, expected: float) -> None:
    assert cost_usd(model, **CALL) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 1000*2.00 + 500*10.00 + 2000*4.00 + 10000*0.20 = 17000
        ("claude-sonnet-5-5", 0.017),
        # 1000*3.00 + 500*15.00 + 2000*6.00 + 10000*0.30 = 25500
        ("claude-sonnet-4-5", 0.0255),
        # 1000*0.10 + 500*0.50 + 2000*0.20 + 10000*0.01 = 850
        ("claude-haiku-5-5", 0.00085),
        # 1000*1.00 + 500*5.00 + 2000*2.00 + 10000*0.10 = 8500
        ("claude-haiku-4-5", 0.0085),
    ],
)
def test_one_hour_cache_writes_cost_more(model: str, expected: float) -> None:
    assert cost_usd(model, **CALL, cache_ttl="1h") == pytest.approx(expected, abs=1e-12)


def test_input_and_output_only() -> None:
    # 1,000,000 input at 2.00 + 100,000 output at 10.00
    assert cost_usd("claude-sonnet-5-5", input_tokens=1_000_000, output_tokens=100_000) == pytest.approx(3.0)


def test_batch_halves_input_and_output() -> None:
    # (1000*2.00 + 500*10.00) * 0.5 = 3500 per million
    batch = cost_usd("claude-sonnet-5-5", input_tokens=1_000, output_tokens=500, batch=True)
    # (1000*1.00 + 500*5.00) * 0.5 = 1750
    haiku = cost_usd("claude-haiku-4-5", input_tokens=1_000, output_tokens=500, batch=True)

    assert batch == pytest.approx(0.0035, abs=1e-12)
    assert haiku == pytest.approx(0.00175, abs=1e-12)


def test_haiku_5_5_at_the_tier_boundary_uses_the_low_rate() -> None:
    # 100,000*0.10 + 1,000*0.50 = 10500
    assert cost_usd("claude-haiku-5-5", input_tokens=100_000, output_tokens=1_000) == pytest.approx(
        0.0105, abs=1e-12
    )


def test_haiku_5_5_above_100k_prompt_tokens_charges_the_whole_call_at_the_high_rate() -> None:
    # 100,001*0.50 + 1,000*2.50 = 52500.5
    cost = cost_usd("claude-haiku-5-5", input_tokens=100_001, output_tokens=1_000)

    assert cost == pytest.approx(0.0525005, abs=1e-12)


def test_haiku_5_5_tier_counts_cached_prompt_tokens_too() -> None:
    # prompt = 60,000 + 50,000 read = 110,000 > 100k: 60000*0.50 + 1000*2.50 + 50000*0.05 = 35000
    cost = cost_usd("claude-haiku-5-5", input_tokens=60_000, output_tokens=1_000, cache_read_tokens=50_000)

    assert cost == pytest.approx(0.035, abs=1e-12)


def test_haiku_5_5_high_tier_cache_write() -> None:
    # prompt = 1,000 + 120,000 written: 1000*0.50 + 120000*0.625 = 75500
    cost = cost_usd("claude-haiku-5-5", input_tokens=1_000, output_tokens=0, cache_write_tokens=120_000)

    assert cost == pytest.approx(0.0755, abs=1e-12)


def test_unknown_model_costs_nothing() -> None:
    assert cost_usd("llama3:8b", input_tokens=10_000, output_tokens=10_000) == 0.0


def test_every_priced_model_has_a_cost() -> None:
    assert set(PRICED_MODELS) == {
        "claude-sonnet-5-5",
        "claude-sonnet-4-5",
        "claude-haiku-5-5",
        "claude-haiku-4-5",
    }
    assert all(cost_usd(m, input_tokens=1_000, output_tokens=1_000) > 0 for m in PRICED_MODELS)
