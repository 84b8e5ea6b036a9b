"""How close each sentence of the retrieved passages is to the question, by the embedding
model: the cosine between the question's vector and the sentence vectors stored at indexing
(`indexing/sentence_vectors.py`) in each chunk's metadata.

`read_passages` reads the chunks kept by id, in one Chroma call, into `Passage`s whose
`sentences` are scored from that same read. The reader weighs the scores with word overlap
to choose the sentence that answers. A chunk indexed before sentence vectors existed simply
has none; the reader then goes by words alone.

Not here: choosing the sentence (`answering/evidence.py`), making the vectors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from assistant.indexing.sentence_vectors import (
    SPANS_KEY,
    VECTORS_KEY,
    cut_query,
    unpack_spans,
    unpack_vectors,
)
from assistant.indexing.store import ChunkStore
from assistant.retrieval.passage import Passage, passage_from_chunk


def read_passages(
    store: ChunkStore, chunk_ids: list[str], query_vector: Sequence[float] | None = None
) -> dict[str, Passage]:
    """Passages (score 0) of the stored chunks among `chunk_ids`; deleted ones are absent.

    With `query_vector`, their sentences are scored against it from the same read.
    """
    if not chunk_ids:
        return {}
    got = store.collection.get(ids=chunk_ids, include=["documents", "metadatas"])
    query = cut_query(query_vector) if query_vector is not None else None
    found = {}
    for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
        passage = passage_from_chunk(chunk_id, text or "", meta or {}, 0.0)
        if query is not None:
            sentences = _scored(meta or {}, query)
            passage = dataclasses.replace(passage, sentences=sentences)
        found[chunk_id] = passage
    return found


def _scored(meta: Mapping[str, Any], query: np.ndarray) -> tuple[tuple[int, int, float], ...]:
    """(start, end, cosine) of each sentence whose vector `meta` holds; () when none is, or
    when it was made by a model of another dimension."""
    spans_text, vectors_text = meta.get(SPANS_KEY), meta.get(VECTORS_KEY)
    if not isinstance(spans_text, str) or not isinstance(vectors_text, str):
        return ()
    spans = unpack_spans(spans_text) or []
    vectors = unpack_vectors(vectors_text, len(spans)) if spans else None
    if vectors is None or vectors.shape[1] != query.shape[0]:
        return ()
    cosines = vectors @ query
    return tuple(
        (start, end, float(cosine)) for (start, end), cosine in zip(spans, cosines, strict=True)
    )
