"""BM25 scoring over per-chunk term counts that can take chunks in and out.

Written by hand because bm25s, which this replaced, builds its score matrix in one pass
over every chunk's token list and cannot add or remove a document: each index update
re-tokenised the whole collection, and at 330k chunks the Python token lists peaked at
12.6 GB (docs/benchmarks.md). Here each chunk's term counts are kept (`TermCounts`), so an
update tokenises only the chunks it adds and drops rows for the ones it removes; the
weights are then recomputed from the counts with numpy (0.1 s at 1,756 chunks, 15 s at
330k). The formula and defaults are bm25s's (the Lucene variant, k1 = 1.5, b = 0.75);
tests/indexing/test_bm25.py checks the scores against bm25s on the same tokens.

It lives in indexing because the weights are computed by the writer and saved with the
counts (`lexical.py`); readers map them and call `scores`.

Not here: tokenising (`assistant.text.tokens`), Chroma, files, stamps (`lexical.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

K1 = 1.5
B = 0.75


@dataclass(frozen=True)
class TermCounts:
    """Rows of (term, count) per chunk, in CSR form; the vocabulary only grows.

    `vocab` maps a token to its column. A token whose chunks were all removed keeps its
    column (with no counts) until `compacted` drops it.
    """

    ids: list[str]
    vocab: dict[str, int]
    indptr: np.ndarray  # int64, len(ids) + 1
    terms: np.ndarray  # int32 columns
    counts: np.ndarray  # int32, > 0

    @classmethod
    def empty(cls) -> TermCounts:
        return cls([], {}, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32))

    def __len__(self) -> int:
        return len(self.ids)

    def with_chunks(self, chunks: Iterable[tuple[str, Sequence[str]]]) -> TermCounts:
        """These counts plus one row per (chunk id, tokens), in order.

        Each chunk's tokens are counted and let go at once, so memory holds counts, never
        the token lists of the whole collection.
        """
        vocab = dict(self.vocab)
        ids = list(self.ids)
        lengths, terms, counts = [], [self.terms], [self.counts]
        for chunk_id, tokens in chunks:
            tally = Counter(vocab.setdefault(token, len(vocab)) for token in tokens)
            ids.append(chunk_id)
            lengths.append(len(tally))
            terms.append(np.fromiter(tally.keys(), np.int32, len(tally)))
            counts.append(np.fromiter(tally.values(), np.int32, len(tally)))
        if not lengths:
            return self
        indptr = np.concatenate([self.indptr, self.indptr[-1] + np.cumsum(lengths)])
        return TermCounts(ids, vocab, indptr, np.concatenate(terms), np.concatenate(counts))

    def without(self, drop: set[str]) -> TermCounts:
        """These counts without the rows of the chunk ids in `drop`."""
        keep = np.fromiter((chunk_id not in drop for chunk_id in self.ids), bool, len(self))
        if keep.all():
            return self
        lengths = np.diff(self.indptr)
        entries = np.repeat(keep, lengths)
        indptr = np.concatenate([[0], np.cumsum(lengths[keep])]).astype(np.int64)
        ids = [chunk_id for chunk_id, kept in zip(self.ids, keep, strict=True) if kept]
        return TermCounts(ids, self.vocab, indptr, self.terms[entries], self.counts[entries])

    def doc_freqs(self) -> np.ndarray:
        """Per column, how many chunks contain the token."""
        return np.bincount(self.terms, minlength=len(self.vocab))

    def compacted(self) -> TermCounts:
        """These counts with the columns no chunk uses any more dropped, if they are many.

        Columns are renumbered only when at least half the vocabulary is unused, so the
        usual update (a few articles in, a few out) keeps the arrays as they are.
        """
        used = self.doc_freqs() > 0
        if used.sum() * 2 > len(self.vocab):
            return self
        column = np.full(len(self.vocab), -1, np.int64)
        column[used] = np.arange(int(used.sum()))
        vocab = {token: int(column[i]) for token, i in self.vocab.items() if used[i]}
        return TermCounts(
            self.ids, vocab, self.indptr, column[self.terms].astype(np.int32), self.counts
        )


class Bm25:
    """BM25 weights of every (token, chunk) pair, by token (Lucene variant).

    Column-major, so a question reads only its tokens' entries. The arrays are what gets
    saved (`arrays`, `from_arrays`): a reader maps them from disk instead of recomputing
    them, and processes on one machine share those pages.
    """

    def __init__(
        self, starts: np.ndarray, rows: np.ndarray, weights: np.ndarray, doc_freqs: np.ndarray
    ) -> None:
        self._starts, self._rows, self._weights = starts, rows, weights
        self.doc_freqs = doc_freqs
        self._n = int(rows.max()) + 1 if len(rows) else 0

    @classmethod
    def from_counts(cls, counts: TermCounts, k1: float = K1, b: float = B) -> Bm25:
        doc_freqs = counts.doc_freqs()
        rows = len(counts)
        lengths = np.diff(counts.indptr)
        row_of_entry = np.repeat(np.arange(rows, dtype=np.int32), lengths)
        doc_len = np.bincount(row_of_entry, weights=counts.counts, minlength=rows)
        avg_len = float(doc_len.sum()) / rows if rows else 1.0
        df = doc_freqs.astype(np.float64)
        idf = np.where(df > 0, np.log1p((rows - df + 0.5) / (df + 0.5)), 0.0).astype(np.float32)
        # Per row first, then spread to the entries: float32 arrays of the entries' size only.
        norm = (k1 * ((1 - b) + b * doc_len / (avg_len or 1.0))).astype(np.float32)
        norm = norm[row_of_entry]
        del row_of_entry
        tf = counts.counts.astype(np.float32)
        weights = idf[counts.terms]
        weights *= tf
        weights /= norm + tf
        del norm, tf
        shape = (rows, len(counts.vocab))
        by_term = sparse.csr_matrix((weights, counts.terms, counts.indptr), shape=shape).tocsc()
        bm25 = cls(by_term.indptr.astype(np.int64), by_term.indices, by_term.data, doc_freqs)
        bm25._n = rows
        return bm25

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "starts": self._starts,
            "rows": self._rows,
            "weights": self._weights,
            "doc_freqs": self.doc_freqs,
            "n": np.array([self._n], np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Bm25:
        bm25 = cls(arrays["starts"], arrays["rows"], arrays["weights"], arrays["doc_freqs"])
        bm25._n = int(arrays["n"][0])
        return bm25

    def scores(self, columns: Sequence[int]) -> np.ndarray:
        """Per chunk, the sum over `columns` (repeats count again) of its BM25 weights."""
        total = np.zeros(self._n, np.float32)
        for column in columns:
            start, end = self._starts[column], self._starts[column + 1]
            total[self._rows[start:end]] += self._weights[start:end]  # rows unique per column
        return total
