"""Channels: normalise inbound payloads into messages and deliver replies (HTTP API now; helpdesks next)."""
