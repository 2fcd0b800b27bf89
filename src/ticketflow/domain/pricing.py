"""Claude prices as data (USD per million tokens), and the one function that turns usage into dollars.

Source: ../shared/FACTS.md (November 2026). Tiered models charge the higher rate for the whole call when
the prompt exceeds the tier boundary. Batch calls get 50% off input and output.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Price:
    """One model's rates, USD per million tokens; a tiered model's rates for long prompts are in ``above``.

    A prompt prefix shorter than ``min_cacheable_tokens`` is never cached, whatever the request asks.
    """

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    min_cacheable_tokens: int = 1024
    tier_above: int | None = None
    """Prompts longer than this many tokens are charged at ``above``'s rates."""
    above: Price | None = None


BATCH_DISCOUNT = 0.5

PRICES: dict[str, Price] = {
    "claude-sonnet-5-5": Price(2.00, 10.00, 2.50, 4.00, 0.20, min_cacheable_tokens=1024),
    "claude-sonnet-4-5": Price(3.00, 15.00, 3.75, 6.00, 0.30, min_cacheable_tokens=1024),
    "claude-haiku-5-5": Price(
        0.10, 0.50, 0.125, 0.20, 0.01, min_cacheable_tokens=4096,
        tier_above=100_000, above=Price(0.50, 2.50, 0.625, 1.00, 0.05, min_cacheable_tokens=4096),
    ),
    "claude-haiku-4-5": Price(1.00, 5.00, 1.25, 2.00, 0.10, min_cacheable_tokens=4096),
}  # fmt: skip

ALIASES = {
    "claude-sonnet-4-5-20250929": "claude-sonnet-4-5",
    "claude-haiku-4-5-20251001": "claude-haiku-4-5",
}

PRICED_MODELS = tuple(PRICES)


def price_of(model: str) -> Price | None:
    """The price of ``model`` (dated names too); None for a model with no price, such as a local server."""
    return PRICES.get(ALIASES.get(model, model))


def cost_usd(
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_write_tokens: int = 0,
    cache_read_tokens: int = 0,
    cache_ttl: str = "5m",
    batch: bool = False,
) -> float:
    """Dollars for one call; 0.0 for a model with no price (e.g. a local server)."""
    price = price_of(model)
    if price is None:
        return 0.0
    prompt = input_tokens + cache_write_tokens + cache_read_tokens
    if price.tier_above is not None and price.above is not None and prompt > price.tier_above:
        price = price.above
    write_rate = price.cache_write_1h if cache_ttl == "1h" else price.cache_write_5m
    discount = BATCH_DISCOUNT if batch else 1.0
    dollars = (
        input_tokens * price.input * discount
        + output_tokens * price.output * discount
        + cache_write_tokens * write_rate
        + cache_read_tokens * price.cache_read
    ) / 1_000_000
    return round(dollars, 9)
