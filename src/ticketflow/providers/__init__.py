"""Model providers (offline drafter, Claude, local OpenAI-compatible servers), the model judge and prices."""
