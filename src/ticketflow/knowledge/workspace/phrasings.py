"""``intents.yaml``: how customers ask for each intent, in their words, for training and search.

::

    edit_account:
      - "update the email address on my account"
      - "how do i change my name on my profile"

Labelled tickets (``examples.jsonl``) are whole conversations with every label; phrasings are the cheap way
to teach routing a wording it has not met yet: one line each, under the intent they mean. Both train the
intent model, both are indexed beside the articles of their intent (document expansion), and phrasings of a
canned intent are matched to its answer. Errors name the file and the line.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ticketflow.errors import ConfigError

Phrasings = dict[str, tuple[str, ...]]
"""``{intent: phrasings}``, in the file's order."""


def load_phrasings(path: Path) -> Phrasings:
    """Parse ``intents.yaml``; an absent or empty file means no phrasings."""
    if not path.exists():
        return {}
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError.at(path, mark.line + 1 if mark else 1, f"not valid YAML: {exc}") from exc
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError.at(path, root.start_mark.line + 1, "must map intents to lists of phrasings")
    found: Phrasings = {}
    for key, value in root.value:
        line = key.start_mark.line + 1
        intent = key.value if isinstance(key, yaml.ScalarNode) else ""
        if not intent.strip() or " " in intent.strip():
            raise ConfigError.at(path, line, f"{intent!r} is not an intent name (one word, like track_order)")
        if intent in found:
            raise ConfigError.at(path, line, f"intent {intent!r} is listed twice")
        if not isinstance(value, yaml.SequenceNode):
            raise ConfigError.at(path, line, f"{intent}: must be a list of phrasings")
        texts = []
        for item in value.value:
            if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
                raise ConfigError.at(path, item.start_mark.line + 1, f"{intent}: a phrasing must be text")
            texts.append(str(item.value).strip())
        found[intent] = tuple(dict.fromkeys(texts))
    return found


def labelled(phrasings: Phrasings) -> list[tuple[str, str]]:
    """``(text, intent)`` pairs, as training reads them."""
    return [(text, intent) for intent, texts in phrasings.items() for text in texts]
