"""Customer accounts: workspace files, a SQL database or an HTTP endpoint, and the cache that tiers them."""
