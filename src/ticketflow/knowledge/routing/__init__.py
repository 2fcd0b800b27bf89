"""Routing's models: intent and tone classifiers, canned-answer matching, and the sentiment lexicon."""
