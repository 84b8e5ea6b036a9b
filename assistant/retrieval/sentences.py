"""How close each sentence of the retrieved passages is to the question, by the embedding
model: the cosine between the question's vector and the sentence vectors stored at indexing
(`indexing/sentence_vectors.py`), one Chroma read for the k passages.

The reader weighs it with word overlap to choose the sentence that answers. A chunk indexed
before sentence vectors existed simply has none; the reader then goes by words alone.

Not here: choosing the sentence (`answering/evidence.py`), making the vectors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from assistant.indexing.sentence_vectors import cut_query, unpack_spans, unpack_vectors
from assistant.indexing.store import ChunkStore
from assistant.retrieval.passage import Passage


def with_sentence_scores(
    store: ChunkStore, passages: list[Passage], query_vector: Sequence[float]
) -> list[Passage]:
    """`passages` (same order) with `sentences` set where the index has their vectors."""
    stored = store.sentence_data([passage.chunk_id for passage in passages])
    if not stored:
        return passages
    query = cut_query(query_vector)
    scored = []
    for passage in passages:
        spans_text, vectors_text = stored.get(passage.chunk_id, ("", ""))
        spans = unpack_spans(spans_text) or []
        vectors = unpack_vectors(vectors_text, len(spans)) if spans else None
        if vectors is None or vectors.shape[1] != query.shape[0]:
            scored.append(passage)  # none stored, or made by another model's dimension
            continue
        cosines = vectors @ query
        sentences = tuple(
            (start, end, float(cosine)) for (start, end), cosine in zip(spans, cosines, strict=True)
        )
        scored.append(dataclasses.replace(passage, sentences=sentences))
    return scored
