"""Self-healing of Chroma's vector segment: an unreadable HNSW folder is moved aside and
Chroma rebuilds it from its own write-ahead log, with no manual step and nothing re-embedded.

chromadb 1.5 keeps every write twice in a local store: in its log (`embeddings_queue` in
`chroma.sqlite3`, vectors included) and, once compacted, in the metadata segment (the same
file: ids, documents, metadata, no vectors) and the vector segment (`chroma/<uuid>/`, the
HNSW files). After a `kill -9` in the middle of a write the vector segment is now and then
left unreadable (tests/indexing/test_kill.py): every later read fails with "Error sending
backfill request to compactor: Failed to apply logs to the hnsw segment writer". Without
the folder, Chroma builds a new one from the log at the next open (measured). By default
it purges the log after compacting, which would lose the vectors: `keep_log` turns that
off at every open (`automatically_purge` in `embeddings_queue_config`, the row Chroma
itself reads before each purge). A log already purged cannot be replayed: then the way
back is `assistant index rebuild`, which embeds again.

Only the process holding the writer lock (`index/.writer.lock`) moves a folder; a reader
waits for it a few seconds. Not here: which errors mean damage at the call sites
(`collection.StoredOnly`), the lock itself (`index_service.IndexService.writer_lock`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from assistant.errors import IndexStoreError

log = logging.getLogger(__name__)
T = TypeVar("T")

# What chromadb 1.5.9 says when a vector segment cannot be loaded or brought up to date
# ("Failed to apply logs to the hnsw segment writer", "Error constructing hnsw segment
# reader: … Error loading hnsw index", "… Error deserializing pickle file").
HNSW_DAMAGE = "hnsw segment"
# How long a reader meeting damage waits for the writer lock, to repair it or see it repaired.
READER_WAIT_S = 10.0
HEADER_BYTES = 100  # hnswlib's header.bin as chromadb 1.5 writes it
_DELETE = 3  # chromadb's Operation.DELETE in `embeddings_queue.operation`
_held: set[str] = set()  # writer locks this process holds (`holding_writer_lock`)


def rebuild_hint(chroma_dir: Path) -> str:
    return (
        f"Chroma's vector index in {chroma_dir} is damaged and cannot be rebuilt from its own "
        "log; run `assistant index rebuild` (it embeds every article again)"
    )


def writer_lock_path(index_dir: Path) -> Path:
    """The file `IndexService.writer_lock` locks for the index in `index_dir`."""
    return index_dir / ".writer.lock"


@contextmanager
def holding_writer_lock(lock_path: Path) -> Iterator[None]:
    """Mark the writer lock at `lock_path` as held by this process while the block runs."""
    key = str(lock_path)
    _held.add(key)
    try:
        yield
    finally:
        _held.discard(key)


def keep_log(chroma_dir: Path) -> None:
    """Stop Chroma purging its write-ahead log, so a vector segment can always be rebuilt.

    Costs disk: the log keeps every version written (docs/reliability.md). Best effort: a
    store that cannot be written (read-only) is left as it is, and says so only if it needs
    healing one day (`rebuild_hint`).
    """
    try:
        with _sqlite(chroma_dir, write=True) as db:
            rows = db.execute("SELECT id, config_json_str FROM embeddings_queue_config").fetchall()
            for row_id, text in rows:
                config = json.loads(text)
                if config.get("automatically_purge", True) is not False:
                    config["automatically_purge"] = False
                    db.execute(
                        "UPDATE embeddings_queue_config SET config_json_str = ? WHERE id = ?",
                        (json.dumps(config, separators=(",", ":")), row_id),
                    )
    except (sqlite3.Error, OSError, ValueError) as error:
        log.debug("cannot turn off Chroma's log purging in %s: %s", chroma_dir, error)


def segment_damage(folder: Path) -> str | None:
    """What is visibly wrong with the HNSW files in `folder`, from their sizes; None if nothing.

    Catches what a killed write can leave that chromadb does not report but crashes on (a
    short header.bin: segmentation fault, measured) or reads wrongly (a data file cut in
    the middle of an element). The element count in the header is no guide: chromadb 1.5
    rewrites the data without it (a healthy segment can say 0 elements and hold 100).
    """
    names = ("header.bin", "data_level0.bin", "length.bin", "link_lists.bin")
    present = [name for name in names if (folder / name).exists()]
    if not present:
        return None  # not written yet: Chroma builds it from the log
    if len(present) < len(names):
        return "missing " + ", ".join(name for name in names if name not in present)
    try:
        header = (folder / "header.bin").read_bytes()
        data = (folder / "data_level0.bin").stat().st_size
        lengths = (folder / "length.bin").stat().st_size
    except OSError as error:
        return f"cannot read it ({error})"
    if len(header) != HEADER_BYTES:
        return f"header.bin holds {len(header)} bytes, not {HEADER_BYTES}"
    # int32 version, then uint64 offset_level0, max_elements, cur_element_count, size_per_element
    (per_element,) = struct.unpack_from("<Q", header, 28)
    if per_element == 0 or data % per_element:
        return f"data_level0.bin holds {data} bytes, not whole {per_element}-byte elements"
    if lengths % 4:
        return f"length.bin holds {lengths} bytes, not whole 4-byte lengths"
    # A header older than the data (it is rewritten when the index grows) crashes chromadb.
    (capacity,) = struct.unpack_from("<Q", header, 12)
    if max(data // per_element, lengths // 4) > capacity:
        return f"header.bin is older than the data (room for {capacity} elements)"
    return None


class SegmentHealer:
    """Repairs the vector segment of collections of one local Chroma client."""

    def __init__(self, client: Any, chroma_dir: Path, writer_lock: Path) -> None:
        self.client = client
        self.chroma_dir = chroma_dir
        self.writer_lock = writer_lock

    def check(self, collection_id: Any) -> None:
        """At open: repair the collection's segment if its files are visibly broken."""
        folder = self._segment_folder(collection_id)
        if folder is None or segment_damage(folder) is None:
            return
        with self._writer():
            why = segment_damage(folder)  # again under the lock: a writer may have been busy
            if why is not None:
                self._move_aside(collection_id, folder, why)
                self._restart()

    def retry(self, collection_id: Any, call: Callable[[], T], error: Exception) -> T:
        """`call` failed with `error` (damage): repair under the writer lock, call once more.

        First only Chroma is restarted: another process may have repaired it meanwhile.
        """
        with self._writer():
            self._restart()
            try:
                return call()
            except Exception as again:
                if HNSW_DAMAGE not in str(again):
                    raise
                error = again
            folder = self._segment_folder(collection_id)
            if folder is None or not folder.exists():
                raise IndexStoreError(rebuild_hint(self.chroma_dir)) from error
            why = " ".join(str(error).split()).removeprefix("Error executing plan: ")
            self._move_aside(collection_id, folder, why)
            self._restart()
            return call()

    @contextmanager
    def _writer(self) -> Iterator[None]:
        if str(self.writer_lock) in _held:
            yield
            return
        lock = FileLock(str(self.writer_lock), timeout=READER_WAIT_S)
        try:
            lock.acquire()
        except Timeout:
            raise IndexStoreError(
                f"Chroma's vector index in {self.chroma_dir} needs a repair and another "
                f"process has held {self.writer_lock} for {READER_WAIT_S:.0f} s; ask again "
                "when it is done (the next `assistant index update` repairs it)"
            ) from None
        except OSError as error:
            raise IndexStoreError(
                f"Chroma's vector index in {self.chroma_dir} needs a repair and "
                f"{self.writer_lock} cannot be locked ({error}); run `assistant index update`"
            ) from error
        try:
            with holding_writer_lock(self.writer_lock):
                yield
        finally:
            lock.release()

    def _move_aside(self, collection_id: Any, folder: Path, why: str) -> None:
        missing = self._unlogged(collection_id)
        if missing:
            log.debug("%d chunks of %s are not in Chroma's log any more", missing, folder)
            raise IndexStoreError(rebuild_hint(self.chroma_dir))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.chroma_dir.parent / f"chroma-damaged-{stamp}"
        try:
            aside.mkdir(exist_ok=True)
            folder.rename(aside / folder.name)
        except OSError as error:
            raise IndexStoreError(
                f"{rebuild_hint(self.chroma_dir)}: {folder} could not be moved aside ({error})"
            ) from error
        log.warning(
            "Chroma's vector index %s was damaged (%s); moved it to %s and rebuilt it from "
            "Chroma's own log, nothing re-embedded",
            folder.name,
            why[:200],
            aside / folder.name,
        )

    def _restart(self) -> None:
        """Make Chroma drop what it holds in memory of the old segment and open the files again.

        Every client of one path in a process shares one `System` (chromadb 1.5), so
        restarting it renews the bindings under every collection handle already given out.
        """
        system = self.client._system
        system.stop()
        system.start()

    def _segment_folder(self, collection_id: Any) -> Path | None:
        try:
            with _sqlite(self.chroma_dir) as db:
                row = db.execute(
                    "SELECT id FROM segments WHERE collection = ? AND scope = 'VECTOR'",
                    (str(collection_id),),
                ).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else self.chroma_dir / row[0]

    def _unlogged(self, collection_id: Any) -> int:
        """How many stored chunks of the collection have no vector left in Chroma's log."""
        with _sqlite(self.chroma_dir) as db:
            return db.execute(
                """
                SELECT COUNT(*) FROM embeddings e
                LEFT JOIN (SELECT DISTINCT id FROM embeddings_queue
                           WHERE topic LIKE ? AND vector IS NOT NULL AND operation != ?) q
                  ON q.id = e.embedding_id
                WHERE q.id IS NULL AND e.segment_id IN (
                    SELECT id FROM segments WHERE collection = ? AND scope = 'METADATA')
                """,
                (f"%/{collection_id}", _DELETE, str(collection_id)),
            ).fetchone()[0]


@contextmanager
def _sqlite(chroma_dir: Path, write: bool = False) -> Iterator[sqlite3.Connection]:
    path = chroma_dir / "chroma.sqlite3"
    if not path.exists():
        raise sqlite3.OperationalError(f"{path} does not exist")
    uri = f"file:{path}?mode={'rw' if write else 'ro'}"
    db = sqlite3.connect(uri, uri=True, timeout=10)
    try:
        with db:
            yield db
    finally:
        db.close()
