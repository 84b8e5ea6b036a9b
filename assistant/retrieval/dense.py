"""Dense retrieval: the chunks nearest the question's embedding in the Chroma collection.

The embedding model is passed in (never llama-index's global `Settings`). Questions are
normalised like articles before embedding, so NFD input or `Ð` finds the same chunks.

`ranked` asks Chroma for ids and distances only, and `read_passages` reads the text of just
the chunks that will be shown. llama-index's vector retriever (used here before) reads every
hit's text and metadata, each with its sentence vectors (~4 KB): for the 20 hits fusion ranks
that was ~16 ms of a new question's ~125 ms at 300 articles (docs/benchmarks.md), for
passages of which at most 5 are kept. Scores are what that retriever gave (`exp(-distance)`,
`ChromaVectorStore`), so thresholds set on them (`answering.min_dense`) keep their meaning.

Not here: lexical retrieval, fusion, reranking (they come with the hybrid retriever).
"""

from __future__ import annotations

import dataclasses
import math

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.indexing.store import ChunkStore
from assistant.retrieval.passage import Passage
from assistant.retrieval.sentences import read_passages
from assistant.text.normalize import normalize_inline


class DenseRetriever:
    """Top-k chunks by embedding similarity."""

    def __init__(self, store: ChunkStore, embedder: BaseEmbedding) -> None:
        self.store = store
        self.embedder = embedder

    def query_vector(self, question: str) -> list[float]:
        """The question's vector as retrieval embeds it (the embedder caches questions)."""
        return self.embedder.get_query_embedding(normalize_inline(question))

    def ranked(self, question: str, k: int = 5) -> list[tuple[str, float]]:
        """(chunk id, similarity) of the `k` nearest chunks, best first; no text is read."""
        got = self.store.collection.query(
            query_embeddings=[self.query_vector(question)], n_results=k, include=["distances"]
        )
        ids, distances = got["ids"][0], got["distances"][0]
        return [(chunk_id, math.exp(-d)) for chunk_id, d in zip(ids, distances, strict=True)]

    def retrieve(self, question: str, k: int = 5) -> list[Passage]:
        ranked = self.ranked(question, k)
        found = read_passages(self.store, [chunk_id for chunk_id, _ in ranked])
        return [
            dataclasses.replace(found[chunk_id], score=score)
            for chunk_id, score in ranked
            if chunk_id in found  # deleted by an update since the query
        ]
