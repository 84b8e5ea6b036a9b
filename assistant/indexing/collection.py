"""A Chroma collection as readers see it while other processes write: `StoredOnly`, which
drops chunks deleted since they were loaded, reopens a collection another process
replaced, and hands a damaged vector segment to its healer (`heal.py`).

Not here: writing chunks or choosing collections (`store.py`), connecting (`store.chroma_client`),
repairing (`heal.py`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from assistant.errors import IndexStoreError
from assistant.indexing.heal import HNSW_DAMAGE

log = logging.getLogger(__name__)


def is_gone(error: BaseException) -> bool:
    """Whether `error` is Chroma saying the collection this handle points to is gone (or
    half gone: a read in the middle of another process's delete finds its collection but
    not its segments, "Missing metadata segment", seen in tests/indexing/test_concurrency.py
    under load)."""
    return (
        type(error).__name__ in ("NotFoundError", "InvalidCollectionException")
        or ("does not exist" in str(error) and "ollection" in str(error))
        or "Missing metadata segment" in str(error)
    )


# How long a reader waits for a rebuild in another process to put a collection back under
# its name (it is gone only between a delete and a rename, a few milliseconds).
REOPEN_WAIT_S = 5.0


class StoredOnly:
    """A collection (local, or on a Chroma server) that survives other processes' writes.

    A local client answers nearest-neighbour queries from the vectors this process loaded
    (see `ChunkStore.catch_up`) but reads documents and metadata from the files, so a chunk
    another process deleted since comes back with `None` for both (chromadb 1.5, measured):
    without this, a question asked while `index update` runs elsewhere fails. Every chunk
    we write has metadata, so `None` means gone.

    `index rebuild` in another process replaces the collection by a new one under the same
    name (`IndexService.rebuild`), and Chroma then answers this handle with `NotFoundError`:
    every call that meets it opens the collection again by name (`reopen`) and is retried
    once, so a running app goes on answering, from the new index. Any other Chroma error
    leaves as one `IndexStoreError` that says what to do (`errors`), never a traceback.

    A call failing on a damaged vector segment (`HNSW_DAMAGE`) goes to `heal` (a local
    store's `SegmentHealer.retry`), which repairs it and calls once more.
    """

    def __init__(self, collection: Any, reopen: Any, errors: Any, heal: Any = None) -> None:
        self._collection = collection
        self._reopen = reopen
        self._errors = errors
        self._heal = heal

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._retrying(lambda: getattr(self._collection, name)(*args, **kwargs))

        return call

    def _retrying(self, call: Any) -> Any:
        with self._errors():
            return self._reopening(call)

    def _reopening(self, call: Any) -> Any:
        try:
            return call()
        except Exception as error:
            if self._heal is not None and HNSW_DAMAGE in str(error):
                return self._heal(self._collection.id, call, error)
            if not is_gone(error):
                raise
        deadline = time.monotonic() + REOPEN_WAIT_S
        while True:
            try:
                self._collection = self._reopen()
            except Exception as error:
                if not is_gone(error) or time.monotonic() > deadline:
                    raise IndexStoreError(
                        "the index is being rebuilt by another process and its collection is "
                        "not back yet; ask again in a moment"
                    ) from error
                time.sleep(0.05)
                continue
            try:
                result = call()
                break
            except Exception as error:  # reopened the one being deleted: wait for the new one
                if not is_gone(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        log.info("the Chroma collection was replaced by another process; reopened it")
        return result

    def query(self, *args: Any, **kwargs: Any) -> Any:
        result = self._retrying(lambda: self._collection.query(*args, **kwargs))
        metadatas = result.get("metadatas")
        if not metadatas or all(meta is not None for row in metadatas for meta in row):
            return result
        keep = [[i for i, meta in enumerate(row) if meta is not None] for row in metadatas]
        for key, rows in list(result.items()):
            if key != "included" and rows is not None:
                result[key] = [[row[i] for i in kept] for row, kept in zip(rows, keep, strict=True)]
        return result
