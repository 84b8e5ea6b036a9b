"""Dense retrieval: llama-index's vector retriever over the Chroma collection -> `Passage`s.

The embedding model is passed in (never llama-index's global `Settings`). Questions are
normalised like articles before embedding, so NFD input or `Ð` finds the same chunks.

Not here: lexical retrieval, fusion, reranking (they come with the hybrid retriever).
"""

from __future__ import annotations

from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.vector_stores.chroma import ChromaVectorStore

from assistant.indexing.store import ChunkStore
from assistant.retrieval.passage import Passage, passage_from_chunk
from assistant.text.normalize import normalize_inline


class DenseRetriever:
    """Top-k chunks by embedding similarity."""

    def __init__(self, store: ChunkStore, embedder: BaseEmbedding) -> None:
        self.embedder = embedder
        vector_store = ChromaVectorStore(chroma_collection=store.collection)
        self._index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embedder)

    def query_vector(self, question: str) -> list[float]:
        """The question's vector as retrieval embeds it (the embedder caches questions)."""
        return self.embedder.get_query_embedding(normalize_inline(question))

    def retrieve(self, question: str, k: int = 5) -> list[Passage]:
        retriever = self._index.as_retriever(similarity_top_k=k)
        hits = retriever.retrieve(normalize_inline(question))
        return [
            passage_from_chunk(
                hit.node.node_id, hit.node.get_content(), hit.node.metadata, float(hit.score or 0.0)
            )
            for hit in hits
        ]
