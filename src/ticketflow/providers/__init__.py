"""Model providers (offline drafter now; Anthropic and OpenAI-compatible next) and the price table."""
