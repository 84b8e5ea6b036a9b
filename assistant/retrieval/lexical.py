"""Lexical retrieval: BM25 top-k over the persisted lexical index of one collection.

`open_lexical_index` opens the index `IndexService` saved (`assistant.indexing.lexical`)
if its stamp matches the collection; a stale or missing one is brought up to date in
memory, never served as it is, and never written here (only the writer saves it).
`LexicalRetriever.reloaded_if_replaced` follows a newer save by another process.

Not here: building, updating or saving the index (`indexing/lexical.py`), the BM25
arithmetic (`indexing/bm25.py`), fusion with dense results (`hybrid.py`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from assistant.indexing.index_service import writer_lock_path
from assistant.indexing.lexical import (
    LexicalIndex,
    brought_up_to_date,
    ids_stamp,
    saved_mtime,
    store_ids,
)
from assistant.indexing.store import ChunkStore

log = logging.getLogger(__name__)


class LexicalRetriever:
    """Scores questions against a `LexicalIndex`; chunk ids with BM25 scores, best first."""

    def __init__(
        self,
        index: LexicalIndex,
        source: tuple[ChunkStore, Path, int | None] | None = None,
    ) -> None:
        self.index = index
        self.ids = index.ids
        # (store, folder, mtime seen): where a newer saved index would appear; None: fixed.
        self._source = source

    def __len__(self) -> int:
        return len(self.index)

    def coverage(self, question: str) -> float:
        """Share of the question's words and quantities (not word pairs) the chunks contain.

        An English question only matches Vietnamese chunks by accident (folded "thể" is
        `the`): low coverage says the lexical list should not take part in fusion.
        """
        words = {token for token in self.index.tokenize(question) if "_" not in token}
        if not words:
            return 0.0
        return sum(1 for token in words if self._column(token) is not None) / len(words)

    def _column(self, token: str) -> int | None:
        """The token's column if some chunk still holds it."""
        column = self.index.counts.vocab.get(token)
        if column is None or self.index.bm25.doc_freqs[column] == 0:
            return None
        return column

    def retrieve(self, question: str, k: int) -> list[tuple[str, float]]:
        """Up to `k` (chunk_id, BM25 score) pairs, best first; only chunks sharing a token."""
        if not self.ids or k <= 0:
            return []
        columns = [c for c in map(self._column, self.index.tokenize(question)) if c is not None]
        if not columns:
            return []
        scores = self.index.bm25.scores(columns)
        k = min(k, len(scores))
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        # Every chunk tied with the k-th, then ties broken by chunk id: the result does not
        # depend on the order rows were added in (the update history).
        tied = np.flatnonzero(scores >= max(kth, np.float32(1e-12)))
        ranked = sorted(tied, key=lambda i: (-scores[i], self.ids[i]))[:k]
        return [(self.ids[i], float(scores[i])) for i in ranked]

    def reloaded_if_replaced(self) -> LexicalRetriever:
        """This retriever, or a fresh one if an update saved a new index since it was opened.

        One `stat` call, cheap enough per question, so a long-running chat or UI follows
        `index update` run from another terminal.
        """
        if self._source is None:
            return self
        store, folder, seen = self._source
        if saved_mtime(folder) == seen:
            return self
        # The update may be another process's: dense queries must see its chunks too.
        if not store.catch_up(writer_lock_path(folder.parent.parent)):
            return self  # a writer is still at work: follow it at the next question
        return open_lexical_index(store, folder)


def open_lexical_index(store: ChunkStore, folder: Path) -> LexicalRetriever:
    """The saved index if it matches the collection; otherwise brought up to date in memory
    (never written: only the writer's `sync_lexical_index` writes)."""
    seen = saved_mtime(folder)  # before reading, so a save while we read is noticed later
    ids = store_ids(store)
    index = None
    if LexicalIndex.saved_stamp(folder) == ids_stamp(ids):
        try:
            index = LexicalIndex.load(folder)
        except (OSError, ValueError, KeyError) as error:
            log.warning("lexical index in %s is unreadable (%s): rebuilding", folder, error)
    else:
        log.warning("lexical index in %s is missing or stale: updating it in memory", folder)
    if index is None:
        index = brought_up_to_date(store, folder, ids)
    return LexicalRetriever(index, (store, folder, seen))
