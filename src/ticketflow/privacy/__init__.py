"""Personal-data detection with Presidio's pattern recognizers (no NLP model download, no network)."""
