"""Hybrid retrieval: dense (Chroma) and lexical (BM25) results fused by reciprocal rank.

Each retriever returns its own top list (`dense_k`, `lexical_k`); a chunk scores
`sum(1 / (rrf_k + rank))` over the lists it is in (Cormack et al., 2009). Rank fusion needs
no score calibration between cosine similarities and BM25 scores, which live on unrelated
scales. The lexical list takes part only when the index knows at least `min_coverage` of
the question's words (`LexicalRetriever.coverage`): always for a Vietnamese question,
accented or not, but not for an English one, whose few accidental matches (folded "thể" is
`the`) would outvote dense retrieval, which understands it. In RRF any second vote outweighs a
gap of one rank, so a small weight would not do: the list is used or left out.

Both sides rank chunk ids only; the text of the chunks kept is then read from Chroma by id
in one call, so every `Passage` carries the same data (title, date, exact offsets) whichever
side found it.

The fusion is hand-written (a dozen lines) rather than llama-index's `QueryFusionRetriever`:
that class resolves an LLM from the global `Settings` even when it generates no queries
(our rule: pass models in, never read the global), and it returns bare nodes, losing the
per-retriever ranks that `Passage.scores` records for the answerer and the evals.

Reranking: pass `reranker(question, candidates) -> candidates best first`; it sees every
fused candidate (up to dense_k + lexical_k) and the top `k` of its order are returned.
None is shipped yet. The k passages returned carry their sentences' similarity to the
question (`sentences.py`) for the reader. Not here: building the indexes (`indexing/`),
answering.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from assistant.indexing.store import ChunkStore
from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.lexical import LexicalRetriever
from assistant.retrieval.passage import Passage
from assistant.retrieval.sentences import read_passages

Reranker = Callable[[str, list[Passage]], list[Passage]]


def reciprocal_rank_fusion(rankings: dict[str, list[str]], rrf_k: int) -> list[tuple[str, float]]:
    """Fuse ranked id lists (name -> ids best first) into (id, score) pairs, best first.

    Ties go to the chunk with the better single rank, then to the earlier-named list.
    """
    fused: dict[str, float] = {}
    best: dict[str, tuple[int, int]] = {}
    for order, ids in enumerate(rankings.values()):
        for rank, chunk_id in enumerate(ids, 1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (rrf_k + rank)
            best[chunk_id] = min(best.get(chunk_id, (rank, order)), (rank, order))
    return sorted(fused.items(), key=lambda item: (-item[1], best[item[0]]))


class HybridRetriever:
    """Dense + lexical retrieval, fused; returns `Passage`s best first with `score` = fused."""

    def __init__(
        self,
        store: ChunkStore,
        dense: DenseRetriever,
        lexical: LexicalRetriever | None,
        *,
        dense_k: int = 20,
        lexical_k: int = 20,
        rrf_k: int = 60,
        reranker: Reranker | None = None,
        min_coverage: float = 0.5,
    ) -> None:
        self.store = store
        self.dense = dense
        self.lexical = lexical  # None: dense only
        self.dense_k = dense_k
        self.lexical_k = lexical_k
        self.rrf_k = rrf_k
        self.reranker = reranker
        self.min_coverage = min_coverage  # 0: the lexical list always takes part

    def retrieve(self, question: str, k: int = 5) -> list[Passage]:
        if self.lexical is not None:  # first: following an update also refreshes dense
            self.lexical = self.lexical.reloaded_if_replaced()
        dense_hits = self.dense.ranked(question, k=self.dense_k) if self.dense_k > 0 else []
        lexical_hits: list[tuple[str, float]] = []
        if self.lexical is not None and (
            self.min_coverage <= 0 or self.lexical.coverage(question) >= self.min_coverage
        ):
            lexical_hits = self.lexical.retrieve(question, self.lexical_k)

        scores: dict[str, dict[str, float]] = {}
        for rank, (chunk_id, score) in enumerate(dense_hits, 1):
            scores.setdefault(chunk_id, {}).update(dense=score, dense_rank=rank)
        for rank, (chunk_id, score) in enumerate(lexical_hits, 1):
            scores.setdefault(chunk_id, {}).update(lexical=score, lexical_rank=rank)
        fused = reciprocal_rank_fusion(
            {
                "dense": [chunk_id for chunk_id, _ in dense_hits],
                "lexical": [chunk_id for chunk_id, _ in lexical_hits],
            },
            self.rrf_k,
        )
        # A reranker judges every candidate; without one only the top k need their text,
        # and the next ones only if some of those were deleted since the indexes were read.
        # Each comes with its sentences' similarity to the question (`sentences.py`).
        vector = self.dense.query_vector(question)
        wanted = fused if self.reranker is not None else fused[:k]
        found = read_passages(self.store, [chunk_id for chunk_id, _ in wanted], vector)
        if len(found) < len(wanted) < len(fused):
            wanted = fused
            found.update(read_passages(self.store, [c for c, _ in fused[k:]], vector))
        passages = [
            dataclasses.replace(found[chunk_id], score=score, scores=scores[chunk_id])
            for chunk_id, score in wanted
            if chunk_id in found
        ]
        if self.reranker is not None:
            passages = self.reranker(question, passages)
        return passages[:k]
