"""`Passage`: one retrieved chunk with everything a citation needs. Plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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
