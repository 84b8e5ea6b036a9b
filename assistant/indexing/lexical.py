"""The persisted lexical (BM25) index: per-chunk term counts of one Chroma collection.

Chunks are tokenised by `assistant.text.tokens.lexical_tokens` (title tokens once per
chunk, then the chunk text), so numbers, dates, unaccented questions and NFD input match.
The index keeps each chunk's term counts and their BM25 weights (`bm25.py`). Both are saved
as .npy files under `<index dir>/lexical/<collection>/`, beside Chroma (readers map them
from disk rather than read them), with a stamp: a hash of the collection's chunk ids
(deterministic from article id and version, so any add, change or delete changes it), the
tokenizer version and the file format. An index whose stamp does not match the collection
is stale and never served as it is.

Updates are incremental: `sync_lexical_index` (run by `IndexService` after every update,
rebuild and import, under the writer lock) loads the saved counts, drops the rows of chunks
no longer stored, reads and tokenises only the chunks that are new, and saves. A chunk id
names fixed text, so nothing else needs reading. `brought_up_to_date` does the same without
saving (a reader's in-memory catch-up), and builds from Chroma, page by page, when there is
no readable index at all. Saving is atomic: a temp folder, then a rename.

Not here: answering questions from the index (`assistant.retrieval.lexical`), the BM25
arithmetic (`bm25.py`), deciding when an update happens (`IndexService`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from assistant.indexing.bm25 import Bm25, TermCounts
from assistant.indexing.storage import storage_error
from assistant.indexing.store import ChunkStore
from assistant.text.tokens import TOKENIZER_VERSION, lexical_tokens

log = logging.getLogger(__name__)

_META = "lexical.json"
_IDS = "ids.json"
_VOCAB = "vocab.json"
# Bump when the saved files change: an index saved in another format is stale.
FORMAT = "term-counts-2"
_PAGE = 1000  # chunks read from Chroma per call


def lexical_dir(index_dir: Path, collection: str) -> Path:
    """Where the lexical index of `collection` is persisted."""
    return index_dir / "lexical" / collection


def ids_stamp(chunk_ids: Sequence[str]) -> str:
    """What the index must have been built from: chunk ids, tokenizer version, format."""
    digest = hashlib.sha256(f"{TOKENIZER_VERSION}|{FORMAT}".encode())
    for chunk_id in sorted(chunk_ids):
        digest.update(b"\0" + chunk_id.encode())
    return digest.hexdigest()[:32]


Chunk = tuple[str, str, str]  # (chunk id, text, title)


class LexicalIndex:
    """Term counts and BM25 weights of chunk texts, by chunk id. Build, update, save, load."""

    def __init__(
        self,
        counts: TermCounts,
        tokenize: Callable[[str], list[str]],
        bm25: Bm25 | None = None,
    ) -> None:
        self.counts = counts
        self.ids = counts.ids
        self.stamp = ids_stamp(counts.ids)
        self._weights = bm25  # computed at the first question or save, unless loaded
        self.tokenize = tokenize

    @classmethod
    def build(
        cls,
        ids: Sequence[str],
        texts: Sequence[str],
        titles: Sequence[str] | None = None,
        *,
        tokenize: Callable[[str], list[str]] = lexical_tokens,
    ) -> LexicalIndex:
        titles = titles if titles is not None else [""] * len(texts)
        chunks = zip(ids, texts, titles, strict=True)
        return cls(_counted(TermCounts.empty(), chunks, tokenize), tokenize)

    def updated(self, keep: Sequence[str], new: Iterator[Chunk]) -> LexicalIndex:
        """This index with only the chunk ids in `keep`, plus the `new` chunks."""
        kept = set(keep)
        counts = self.counts.without({i for i in self.ids if i not in kept})
        return LexicalIndex(_counted(counts, new, self.tokenize).compacted(), self.tokenize)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def bm25(self) -> Bm25:
        """The BM25 weights of the counts (computed once, unless loaded)."""
        if self._weights is None:
            self._weights = Bm25.from_counts(self.counts)
        return self._weights

    def save(self, folder: Path) -> None:
        """Write to a temp folder beside `folder`, then swap it in."""
        if self.tokenize is not lexical_tokens:
            raise ValueError("only an index of the default tokens can be saved")
        folder.parent.mkdir(parents=True, exist_ok=True)
        temp = folder.parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
        temp.mkdir()
        try:
            counts = self.counts
            arrays = {"indptr": counts.indptr, "terms": counts.terms, "counts": counts.counts}
            arrays |= {f"bm25-{name}": array for name, array in self.bm25.arrays().items()}
            for name, array in arrays.items():
                np.save(temp / f"{name}.npy", array, allow_pickle=False)
            tokens = [""] * len(counts.vocab)
            for token, column in counts.vocab.items():
                tokens[column] = token
            (temp / _VOCAB).write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
            (temp / _IDS).write_text(json.dumps(self.ids), encoding="utf-8")
            # The stamp is written last: a folder without it is incomplete, never loaded.
            meta = {"stamp": self.stamp, "format": FORMAT, "chunks": len(self)}
            (temp / _META).write_text(json.dumps(meta), encoding="utf-8")
            old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
            if folder.exists():
                os.replace(folder, old)
            os.replace(temp, folder)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(temp, ignore_errors=True)

    @staticmethod
    def saved_stamp(folder: Path) -> str | None:
        """The stamp of the index saved in `folder`, or None if there is none readable."""
        try:
            return json.loads((folder / _META).read_text(encoding="utf-8"))["stamp"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read a saved index; raises OSError/ValueError if it is missing, unreadable or
        saved in another format."""
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"no lexical index in {folder}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"the lexical index in {folder} is of another format")
        ids = json.loads((folder / _IDS).read_text(encoding="utf-8"))
        tokens = json.loads((folder / _VOCAB).read_text(encoding="utf-8"))
        # Mapped, not read: pages load as questions touch them, shared between processes.
        arrays = {path.stem: _mapped(path) for path in folder.glob("*.npy")}
        indptr, terms, counts = arrays["indptr"], arrays["terms"], arrays["counts"]
        if len(indptr) != len(ids) + 1 or not len(terms) == len(counts) == indptr[-1]:
            raise ValueError(f"the lexical index in {folder} is inconsistent")
        vocab = {token: column for column, token in enumerate(tokens)}
        bm25 = Bm25.from_arrays(
            {name[5:]: array for name, array in arrays.items() if name.startswith("bm25-")}
        )
        index = cls(TermCounts(ids, vocab, indptr, terms, counts), lexical_tokens, bm25)
        if index.stamp != meta.get("stamp"):
            raise ValueError(f"the lexical index in {folder} does not match its stamp")
        return index


def _mapped(path: Path) -> np.ndarray:
    """The array saved at `path`, mapped read-only (read whole if empty: nothing to map)."""
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:  # numpy cannot map an array of no bytes
        return np.load(path, allow_pickle=False)


def _counted(counts: TermCounts, chunks: Iterator[Chunk], tokenize: Callable) -> TermCounts:
    """`counts` plus the chunks, each tokenised as its title's tokens, then its text's."""
    return counts.with_chunks(
        (chunk_id, tokenize(title) + tokenize(text)) for chunk_id, text, title in chunks
    )


def saved_mtime(folder: Path) -> int | None:
    """When the index in `folder` was last saved (ns), or None: one `stat` call."""
    try:
        return (folder / _META).stat().st_mtime_ns
    except OSError:
        return None


def store_ids(store: ChunkStore) -> list[str]:
    """Every chunk id in the collection (ids only: cheap)."""
    return list(store.collection.get(include=[])["ids"])


def iter_chunks(store: ChunkStore, ids: Sequence[str]) -> Iterator[Chunk]:
    """(id, text, title) of the chunks in `ids` still stored, read from Chroma a page at a
    time (so a whole collection is never in memory at once); ids deleted meanwhile skipped."""
    for start in range(0, len(ids), _PAGE):
        page_ids = list(ids[start : start + _PAGE])
        page = store.collection.get(ids=page_ids, include=["documents", "metadatas"])
        found = {
            chunk_id: (text or "", str((meta or {}).get("title", "")))
            for chunk_id, text, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            )
        }
        for chunk_id in page_ids:
            if chunk_id in found:
                yield chunk_id, *found[chunk_id]


def read_chunks(store: ChunkStore, ids: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(ids, texts, titles) of the chunks in `ids` still stored (benchmarks read them whole)."""
    chunks = list(iter_chunks(store, ids))
    return [c[0] for c in chunks], [c[1] for c in chunks], [c[2] for c in chunks]


def index_from_store(store: ChunkStore, ids: list[str] | None = None) -> LexicalIndex:
    """Build the index from the chunk texts and titles stored in Chroma."""
    ids = sorted(store_ids(store) if ids is None else ids)
    return LexicalIndex(
        _counted(TermCounts.empty(), iter_chunks(store, ids), lexical_tokens), lexical_tokens
    )


def brought_up_to_date(store: ChunkStore, folder: Path, ids: list[str]) -> LexicalIndex:
    """The saved index updated to the stored `ids`, or one built whole if none is readable."""
    try:
        saved = LexicalIndex.load(folder)
    except FileNotFoundError:
        return index_from_store(store, ids)
    except (OSError, ValueError, KeyError) as error:
        log.warning("lexical index in %s is unreadable (%s): rebuilding", folder, error)
        return index_from_store(store, ids)
    have = set(saved.ids)
    new = sorted(chunk_id for chunk_id in ids if chunk_id not in have)
    return saved.updated(ids, iter_chunks(store, new))


def sync_lexical_index(store: ChunkStore, folder: Path) -> bool:
    """Bring the persisted index in step with the collection; True if it had to change.

    Only the chunks added since the index was saved are read and tokenised.
    """
    ids = store_ids(store)
    if LexicalIndex.saved_stamp(folder) == ids_stamp(ids):
        return False
    index = brought_up_to_date(store, folder, ids)
    try:
        index.save(folder)
    except OSError as error:
        raise storage_error("write the lexical index", folder, error) from error
    return True
