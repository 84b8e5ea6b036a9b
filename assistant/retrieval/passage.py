"""`Passage`: one retrieved chunk with everything a citation needs. Plain data.

`passage_from_chunk` is the one mapping from a chunk as the store keeps it (text +
llama-index metadata) to a `Passage`; `read_passages` reads chunks by id into them, in one
Chroma call, for dense and hybrid retrieval alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.indexing.store import ChunkStore


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk; `text == article body[start:end]`."""

    chunk_id: str
    article_id: str
    title: str
    date: str | None
    text: str
    start: int
    end: int
    score: float
    author: str | None = None
    # How the retrievers saw it, e.g. {"dense": cosine, "dense_rank": 1, "lexical": bm25,
    # "lexical_rank": 3}; a retriever that did not return the chunk has no entry.
    scores: dict[str, float] = field(default_factory=dict, compare=False)  # keeps it hashable
    # (start, end, cosine to the question) of each sentence of `text`, from the sentence
    # vectors stored at indexing (`retrieval/sentences.py`); empty when the index has none.
    sentences: tuple[tuple[int, int, float], ...] = field(default=(), compare=False)

    def to_dict(self) -> dict:
        return asdict(self)


def passage_from_chunk(chunk_id: str, text: str, meta: dict[str, Any], score: float) -> Passage:
    """A Passage from a chunk as Chroma stores it (documents + llama-index metadata)."""
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta["article_id"]),
        title=str(meta.get("title", "")),
        date=meta.get("date") or None,
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        score=score,
        author=meta.get("author") or None,
    )


def read_passages(store: ChunkStore, chunk_ids: list[str]) -> dict[str, Passage]:
    """Passages (score 0) of the stored chunks among `chunk_ids`; deleted ones are absent."""
    if not chunk_ids:
        return {}
    got = store.collection.get(ids=chunk_ids, include=["documents", "metadatas"])
    return {
        chunk_id: passage_from_chunk(chunk_id, text or "", meta or {}, 0.0)
        for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    }
