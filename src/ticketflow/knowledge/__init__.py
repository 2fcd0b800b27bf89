"""Workspace files as facts: policies and articles (chunked, BM25-indexed), rules, customers, intent model."""
