"""`Passage`: one retrieved chunk with everything a citation needs. Plain data.

`passage_from_chunk` is the one mapping from a chunk as the store keeps it (text +
llama-index metadata) to a `Passage`; dense and hybrid retrieval both use it
(`sentences.read_passages`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
