"""Lexical retrieval: a BM25 index (bm25s) over the chunks of one Chroma collection.

Chunks are tokenised by `assistant.text.tokens.lexical_tokens` (title tokens once per
chunk, then the chunk text), so numbers, dates, unaccented questions and NFD input match.
The index is persisted under `<index dir>/lexical/<collection>/`, beside Chroma, with a
stamp: a hash of the collection's chunk ids (deterministic from article id and version, so
any add, change or delete changes it) and the tokenizer version. An index whose stamp does
not match the collection is stale and never served: `open_lexical_index` rebuilds it in
memory from Chroma, and `sync_lexical_index` (run by `IndexService` after every update)
rebuilds and saves it. Saving is atomic: a temp folder, then a rename.

A full rebuild per update is the design for now (cost measured in docs/benchmarks.md);
incremental updates are a later issue. Not here: fusion with dense results, Passage
building (`hybrid.py`), deciding when an update happens (`IndexService`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import IndexStoreError
from assistant.indexing.store import ChunkStore
from assistant.text.tokens import TOKENIZER_VERSION, lexical_tokens

log = logging.getLogger(__name__)

_META = "lexical.json"
_IDS = "ids.json"
_PAGE = 1000  # chunks read from Chroma per call while rebuilding


def _bm25s() -> Any:
    import bm25s

    # bm25s sets its own logger to DEBUG, which prints "Building index..." on every build.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def lexical_dir(index_dir: Path, collection: str) -> Path:
    """Where the lexical index of `collection` is persisted."""
    return index_dir / "lexical" / collection


def _writer_lock(folder: Path) -> Path:
    """`IndexService`'s writer lock of the index whose `lexical_dir` is `folder`."""
    return folder.parent.parent / ".writer.lock"


def ids_stamp(chunk_ids: Sequence[str]) -> str:
    """What the index must have been built from: the chunk ids and the tokenizer version."""
    digest = hashlib.sha256(TOKENIZER_VERSION.encode())
    for chunk_id in sorted(chunk_ids):
        digest.update(b"\0" + chunk_id.encode())
    return digest.hexdigest()[:32]


class LexicalIndex:
    """BM25 over chunk texts, addressed by chunk id. Build, retrieve, save, load."""

    def __init__(self, ids: list[str], bm25: Any, stamp: str, tokenize: Callable) -> None:
        self.ids = ids
        self.stamp = stamp
        self._bm25 = bm25  # None when there are no chunks
        self._tokenize = tokenize
        # Set by open_lexical_index: where a newer saved index would appear.
        self._source: tuple[ChunkStore, Path, int | None] | None = None

    @classmethod
    def build(
        cls,
        ids: Sequence[str],
        texts: Sequence[str],
        titles: Sequence[str] | None = None,
        *,
        tokenize: Callable[[str], list[str]] = lexical_tokens,
    ) -> LexicalIndex:
        bm25s = _bm25s()
        titles = titles if titles is not None else [""] * len(texts)
        pairs = zip(titles, texts, strict=True)
        corpus = [tokenize(title) + tokenize(text) for title, text in pairs]
        bm25 = None
        if any(corpus):  # bm25s cannot index a corpus without a single token
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        return cls(list(ids), bm25, ids_stamp(ids), tokenize)

    def __len__(self) -> int:
        return len(self.ids)

    def coverage(self, question: str) -> float:
        """Share of the question's words and quantities (not word pairs) the chunks contain.

        An English question only matches Vietnamese chunks by accident (folded "thể" is
        `the`): low coverage says the lexical list should not take part in fusion.
        """
        words = {token for token in self._tokenize(question) if "_" not in token}
        if not words or self._bm25 is None:
            return 0.0
        return sum(1 for token in words if token in self._bm25.vocab_dict) / len(words)

    def retrieve(self, question: str, k: int) -> list[tuple[str, float]]:
        """Up to `k` (chunk_id, BM25 score) pairs, best first; only chunks sharing a token."""
        if self._bm25 is None or k <= 0:
            return []
        token_ids = self._bm25.get_tokens_ids(self._tokenize(question))
        if not token_ids:
            return []
        scores = self._bm25.get_scores_from_ids(token_ids)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(top, key=lambda i: (-scores[i], i))  # ties: stable by index order
        return [(self.ids[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def reloaded_if_replaced(self) -> LexicalIndex:
        """This index, or a fresh one if an update saved a new index since it was opened.

        One `stat` call, cheap enough per question, so a long-running chat or UI follows
        `index update` run from another terminal.
        """
        if self._source is None:
            return self
        store, folder, seen = self._source
        if _mtime(folder) == seen:
            return self
        # The update may be another process's: dense queries must see its chunks too.
        if not store.catch_up(_writer_lock(folder)):
            return self  # a writer is still at work: follow it at the next question
        return open_lexical_index(store, folder)

    def save(self, folder: Path) -> None:
        """Write to a temp folder beside `folder`, then swap it in."""
        if self._tokenize is not lexical_tokens:
            raise ValueError("only an index of the default tokens can be saved")
        folder.parent.mkdir(parents=True, exist_ok=True)
        temp = folder.parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
        temp.mkdir()
        try:
            if self._bm25 is not None:
                self._bm25.save(str(temp), show_progress=False)
            (temp / _IDS).write_text(json.dumps(self.ids), encoding="utf-8")
            # The stamp is written last: a folder without it is incomplete, never loaded.
            meta = {"stamp": self.stamp, "tokenizer": TOKENIZER_VERSION, "chunks": len(self)}
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
        """Read a saved index; raises OSError/ValueError if it is missing or unreadable."""
        bm25s = _bm25s()
        stamp = cls.saved_stamp(folder)
        if stamp is None:
            raise FileNotFoundError(f"no lexical index in {folder}")
        ids = json.loads((folder / _IDS).read_text(encoding="utf-8"))
        has_bm25 = (folder / "params.index.json").exists()  # absent: nothing was indexed
        bm25 = bm25s.BM25.load(str(folder), show_progress=False) if has_bm25 else None
        return cls(ids, bm25, stamp, lexical_tokens)


def _mtime(folder: Path) -> int | None:
    try:
        return (folder / _META).stat().st_mtime_ns
    except OSError:
        return None


def store_ids(store: ChunkStore) -> list[str]:
    """Every chunk id in the collection (ids only: cheap)."""
    return list(store.collection.get(include=[])["ids"])


def read_chunks(store: ChunkStore, ids: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(ids, texts, titles) of the chunks in `ids` still stored, read from Chroma in pages."""
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), _PAGE):
        page = store.collection.get(
            ids=ids[start : start + _PAGE], include=["documents", "metadatas"]
        )
        for chunk_id, text, meta in zip(
            page["ids"], page["documents"], page["metadatas"], strict=True
        ):
            found[chunk_id] = (text or "", str((meta or {}).get("title", "")))
    kept = [chunk_id for chunk_id in ids if chunk_id in found]  # deleted meanwhile: skip
    return kept, [found[i][0] for i in kept], [found[i][1] for i in kept]


def index_from_store(store: ChunkStore, ids: list[str] | None = None) -> LexicalIndex:
    """Build the index from the chunk texts and titles stored in Chroma."""
    return LexicalIndex.build(*read_chunks(store, sorted(store_ids(store) if ids is None else ids)))


def sync_lexical_index(store: ChunkStore, folder: Path) -> bool:
    """Rebuild and save the persisted index if it is missing or stale; True if it was."""
    ids = store_ids(store)
    if LexicalIndex.saved_stamp(folder) == ids_stamp(ids):
        return False
    index = index_from_store(store, ids)
    try:
        index.save(folder)
    except OSError as error:
        raise IndexStoreError(f"cannot write the lexical index {folder}: {error}") from error
    return True


def open_lexical_index(store: ChunkStore, folder: Path) -> LexicalIndex:
    """The saved index if it matches the collection; otherwise one rebuilt in memory."""
    seen = _mtime(folder)  # before reading, so a save while we read is noticed later
    ids = store_ids(store)
    index = None
    if LexicalIndex.saved_stamp(folder) == ids_stamp(ids):
        try:
            index = LexicalIndex.load(folder)
        except (OSError, ValueError, KeyError) as error:
            log.warning("lexical index in %s is unreadable (%s): rebuilding", folder, error)
    else:
        log.warning("lexical index in %s is missing or stale: rebuilding in memory", folder)
    if index is None:
        index = index_from_store(store, ids)
    index._source = (store, folder, seen)
    return index
