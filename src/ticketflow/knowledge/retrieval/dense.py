"""Dense ranking on sentence embeddings (the embeddings extra), for `context.rankers`.

BM25 finds an article only through words it shares with the message; a sentence embedding also finds it
through meaning ("has my stuff shipped" near "Track your order").

:class:`DenseRanker` is a ``DocumentRanker``: it embeds every chunk once (title, heading and text) and the
questions each article answers in customers' words (the ``questions`` the BM25 index is given), and ranks a
document by its best cosine similarity over its chunks and its questions. The context stage fuses it with
BM25 and the nearest-phrasings ranking on the customer's own words (``pipeline.fusion``).

Each query costs one embedding, about 10 ms on two CPU cores with all-MiniLM-L6-v2, against well under a
millisecond for BM25. The embeddings of chunks and questions are stored under ``cache_dir`` (normally
``var/index/dense``), one row per text, keyed by a digest of the text and the model's name: an unchanged
workspace loads them, and a new question or an edited chunk embeds just that text.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ticketflow.domain.context import Passage
from ticketflow.knowledge.encoder import MODEL_NAME, Encode
from ticketflow.knowledge.retrieval.chunking import Chunk

if TYPE_CHECKING:
    import numpy as np

DENSE_VERSION = "1"
"""Bump when ``embed_text`` changes, so stored embeddings are rebuilt."""


def embed_text(chunk: Chunk) -> str:
    """What the encoder sees for a chunk: its document title, its heading and its text."""
    return ". ".join(part for part in (chunk.title, chunk.heading, chunk.text) if part)


def _title(chunk: Chunk) -> str:
    return f"{chunk.title} — {chunk.heading}" if chunk.heading else chunk.title


def _keys(texts: Sequence[str], model: str) -> np.ndarray:
    """One 16-byte key per text: a digest of the text, the model's name and ``DENSE_VERSION``."""
    import numpy as np

    prefix = f"{DENSE_VERSION}\0{model}\0".encode()
    return np.array(
        [hashlib.blake2b(prefix + t.encode(), digest_size=16).digest() for t in texts], dtype="S16"
    )


def _read(path: Path) -> dict[bytes, np.ndarray]:
    """The rows of a stored file by key; nothing when it is missing or unreadable (it is then rewritten)."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as stored:
            keys, vectors = stored["keys"], np.asarray(stored["vectors"], dtype=np.float32)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}
    if vectors.ndim != 2 or len(keys) != len(vectors):
        return {}
    return dict(zip(keys.tolist(), vectors, strict=True))


def stored_embeddings(
    texts: Sequence[str], encode: Encode, *, model: str, cache_dir: Path | None, prefix: str
) -> tuple[np.ndarray, Path | None, int]:
    """Every text's embedding, with the stored file it was loaded from whole (or None) and how many texts
    had to be embedded.

    The file is ``cache_dir/{prefix}-{digest}.npz``, one row per text keyed by a digest of the text and the
    model's name; rows of an older file of the same prefix are reused, so an edited article or a new
    question embeds just that text. Written beside and renamed into place, so a reader never sees half a
    file; older files of the prefix are then dropped.
    """
    import numpy as np

    if not texts:
        return np.zeros((0, 0), dtype=np.float32), None, 0
    keys = _keys(texts, model)
    listed = keys.tolist()
    digest = hashlib.sha256(b"".join(listed)).hexdigest()[:20]
    stored = cache_dir / f"{prefix}-{digest}.npz" if cache_dir is not None else None
    known = _read(stored) if stored is not None else {}
    if stored is not None and all(key in known for key in listed):
        return np.stack([known[key] for key in listed]), stored, 0
    if cache_dir is not None:
        for older in sorted(cache_dir.glob(f"{prefix}-*.npz")):
            known.update(_read(older))
    missing: dict[bytes, str] = {}  # one text may be asked of several articles: embed it once
    for key, text in zip(listed, texts, strict=True):
        if key not in known:
            missing.setdefault(key, text)
    if missing:
        fresh = np.asarray(encode(list(missing.values())), dtype=np.float32)
        known.update(zip(missing, fresh, strict=True))
    vectors = np.stack([known[key] for key in listed])
    if cache_dir is not None:
        _store(cache_dir / f"{prefix}-{digest}.npz", keys, vectors, prefix)
    return vectors, None, len(missing)


def _store(final: Path, keys: np.ndarray, vectors: np.ndarray, prefix: str) -> None:
    import numpy as np

    final.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{prefix}-", suffix=".npz", dir=final.parent)
    with os.fdopen(handle, "wb") as out:
        np.savez(out, keys=keys, vectors=vectors)
    os.replace(partial, final)
    for old in final.parent.glob(f"{prefix}-*.npz"):
        if old != final:
            old.unlink(missing_ok=True)


class DenseRanker:
    """A ``DocumentRanker``: documents by the cosine similarity of their nearest chunk or question.

    ``questions``: per document id, questions it answers (``None``: chunks only). ``model`` names the
    encoder in the cache key. Scores are cosines; ``lexical`` is 0 (this ranking reads no words).
    """

    def __init__(
        self,
        chunks: Sequence[Chunk],
        encode: Encode,
        *,
        questions: Mapping[str, Sequence[str]] | None = None,
        cache_dir: Path | None = None,
        model: str = MODEL_NAME,
    ) -> None:
        import numpy as np

        self._chunks = list(chunks)
        self._encode = encode
        self._documents = list(dict.fromkeys(c.source_id for c in self._chunks))
        number = {d: n for n, d in enumerate(self._documents)}
        asked = [(d, q) for d in self._documents for q in dict.fromkeys((questions or {}).get(d, ()))]
        texts = [embed_text(c) for c in self._chunks] + [q for _, q in asked]
        self._owner = np.array(
            [number[c.source_id] for c in self._chunks] + [number[d] for d, _ in asked], dtype=np.intp
        )
        """The document number of each embedded row: the chunks first, then the questions."""
        self._chunks_of = [np.flatnonzero(self._owner[: len(self._chunks)] == n) for n in number.values()]
        keys = _keys(texts, model)
        self.digest = hashlib.sha256(b"".join(keys.tolist())).hexdigest()[:20]
        # loaded_from: the stored embeddings loaded whole, or None when any text was embedded here;
        # embedded: how many texts were embedded when the ranker was built (0 when all were stored)
        self._vectors, self.loaded_from, self.embedded = stored_embeddings(
            texts, encode, model=model, cache_dir=cache_dir, prefix="dense"
        )

    def __len__(self) -> int:
        return len(self._documents)

    def rank(self, text: str, k: int) -> list[Passage]:
        """Up to ``k`` documents nearest to ``text``, nearest first, each shown by its closest chunk.

        A document with no positive similarity is not ranked, as BM25 ranks no document without a shared
        word.
        """
        if not self._chunks or not text.strip() or k <= 0:
            return []
        import numpy as np

        query = np.asarray(self._encode([text]), dtype=np.float32)[0]
        # einsum, not ``@``: a BLAS call's threads right after torch's fight them for the cores (measured
        # p95 116 ms instead of 14 ms on two cores); a few thousand rows take 0.2 ms this way
        similarity = np.einsum("ij,j->i", self._vectors, query)
        best = np.full(len(self._documents), -np.inf, dtype=np.float32)
        np.maximum.at(best, self._owner, similarity)
        passages: list[Passage] = []
        for n in np.argsort(-best, kind="stable")[:k]:
            if best[n] <= 0:
                break
            own = self._chunks_of[n]
            c = self._chunks[int(own[np.argmax(similarity[own])])]
            passages.append(Passage(c.source_id, _title(c), c.text, float(best[n]), c.kind, lexical=0.0))
        return passages
