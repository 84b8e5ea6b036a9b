"""The index manifest: which version of which article each collection holds, in SQLite.

A row per (collection, article): the committed version (whose chunks are complete in the
store) and a pending version (being written, or left behind by an interrupted update). Beside
it, the stamp of the file the committed version was read from (`FileStamp`), so an update
recognises an unchanged file without reading or parsing it.
Every write is its own transaction, so a crash never leaves the manifest half-written, and
the pending column tells the next update which chunks may need cleaning up.

Not here: reading the corpus, talking to Chroma, deciding what to embed (`updater.py`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from assistant.corpus.reader import FileStamp
from assistant.errors import IndexStoreError
from assistant.indexing.storage import storage_error

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    collection TEXT NOT NULL,
    article_id TEXT NOT NULL,
    version TEXT,
    pending_version TEXT,
    title TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    chunks INTEGER NOT NULL DEFAULT 0,
    indexed_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (collection, article_id)
);
CREATE TABLE IF NOT EXISTS models (
    model TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    dimension INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    collection TEXT NOT NULL,
    article_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    raw_sha256 TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    PRIMARY KEY (collection, article_id)
);
CREATE TABLE IF NOT EXISTS meta (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (collection, key)
);
"""


@dataclass(frozen=True)
class ManifestEntry:
    article_id: str
    version: str | None  # complete in the store; None while only pending
    pending_version: str | None
    title: str
    date: str
    chunks: int
    indexed_at: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Manifest:
    """Read and write the manifest of one collection."""

    def __init__(self, path: Path, collection: str) -> None:
        self.path = path
        self.collection = collection
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute(
                "PRAGMA journal_mode=WAL"
            )  # one fsync per transaction, readers unblocked
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise storage_error("open the index manifest", path, error) from error

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run the writes inside as one transaction (one disk sync instead of one each)."""
        self._write("BEGIN IMMEDIATE", ())
        try:
            yield
        except BaseException:
            with suppress(sqlite3.Error):  # the error being raised says more
                self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as error:  # e.g. a full disk: nothing of the batch was written
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise self._write_error(error) from error

    def _write_error(self, error: sqlite3.Error) -> IndexStoreError:
        return storage_error("write the index manifest", self.path, error)

    def _write(self, sql: str, params: tuple) -> None:
        # Autocommit mode: each write is its own transaction unless inside `batch()`.
        try:
            self._db.execute(sql, params)
        except sqlite3.Error as error:
            raise self._write_error(error) from error

    def entries(self) -> dict[str, ManifestEntry]:
        rows = self._db.execute(
            "SELECT article_id, version, pending_version, title, date, chunks, indexed_at "
            "FROM articles WHERE collection = ? ORDER BY article_id",
            (self.collection,),
        )
        return {row[0]: ManifestEntry(*row) for row in rows}

    def stamps(self) -> dict[str, FileStamp]:
        """The stamp of each article's file, as it was when its committed version was read."""
        rows = self._db.execute(
            "SELECT article_id, size, mtime_ns, raw_sha256, content_sha256 FROM files "
            "WHERE collection = ?",
            (self.collection,),
        )
        return {row[0]: FileStamp(*row[1:]) for row in rows}

    def set_stamps(self, stamps: dict[str, FileStamp]) -> None:
        """Record the stamps of files whose article is committed as read (one transaction)."""
        with self.batch():
            for article_id, stamp in stamps.items():
                self._write(
                    "INSERT OR REPLACE INTO files (collection, article_id, size, mtime_ns,"
                    " raw_sha256, content_sha256) VALUES (?, ?, ?, ?, ?, ?)",
                    (self.collection, article_id, stamp.size, stamp.mtime_ns,
                     stamp.raw_sha256, stamp.content_sha256),
                )  # fmt: skip

    def mark_pending(self, article_id: str, version: str) -> None:
        """Record that chunks of `version` are about to be written."""
        self._write(
            "INSERT INTO articles (collection, article_id, pending_version) VALUES (?, ?, ?) "
            "ON CONFLICT (collection, article_id) DO UPDATE"
            " SET pending_version = excluded.pending_version",
            (self.collection, article_id, version),
        )

    def commit(self, article_id: str, version: str, title: str, date: str, chunks: int) -> None:
        """Record that `version` is complete in the store and older chunks are gone."""
        self._write(
            "INSERT INTO articles (collection, article_id, version, pending_version, title, date,"
            " chunks, indexed_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?) "
            "ON CONFLICT (collection, article_id) DO UPDATE SET version = excluded.version,"
            " pending_version = NULL, title = excluded.title, date = excluded.date,"
            " chunks = excluded.chunks, indexed_at = excluded.indexed_at",
            (self.collection, article_id, version, title, date, chunks, _now()),
        )

    def clear_pending(self, article_id: str) -> None:
        self._write(
            "UPDATE articles SET pending_version = NULL WHERE collection = ? AND article_id = ?",
            (self.collection, article_id),
        )

    def remove(self, article_id: str) -> None:
        for table in ("articles", "files"):
            self._write(
                f"DELETE FROM {table} WHERE collection = ? AND article_id = ?",
                (self.collection, article_id),
            )

    def clear(self) -> None:
        self._write("DELETE FROM articles WHERE collection = ?", (self.collection,))
        self._write("DELETE FROM files WHERE collection = ?", (self.collection,))
        self._write("DELETE FROM meta WHERE collection = ?", (self.collection,))

    def take_over(self, source: str) -> None:
        """Make the rows of collection `source` this collection's, dropping this one's, in
        one transaction (`index rebuild` builds under another name, then swaps)."""
        with self.batch():
            for table in ("articles", "files", "meta"):
                self._write(f"DELETE FROM {table} WHERE collection = ?", (self.collection,))
                self._write(
                    f"UPDATE {table} SET collection = ? WHERE collection = ?",
                    (self.collection, source),
                )

    def set_meta(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO meta (collection, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value",
            (self.collection, key, value),
        )

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute(
            "SELECT value FROM meta WHERE collection = ? AND key = ?", (self.collection, key)
        ).fetchone()
        return row[0] if row else None

    def register_model(self, model: str, dimension: int) -> None:
        """Remember which collection holds `model`'s vectors (so status needs no model load)."""
        self._write(
            "INSERT OR REPLACE INTO models (model, collection, dimension) VALUES (?, ?, ?)",
            (model, self.collection, dimension),
        )

    @staticmethod
    def registered_collection(path: Path, model: str) -> tuple[str, int] | None:
        """(collection, dimension) recorded for `model` in the manifest at `path`, if any.

        A folder where SQLite cannot make its shared-memory file (read-only, or a full disk)
        is read as an immutable file when no write-ahead log is pending; else the failure is
        one `IndexStoreError` naming the folder, never "no index".
        """
        if not path.exists():
            return None
        query = "SELECT collection, dimension FROM models WHERE model = ?"
        modes = ["mode=ro"] + ([] if Path(f"{path}-wal").exists() else ["mode=ro&immutable=1"])
        for number, mode in enumerate(modes, 1):
            try:
                db = sqlite3.connect(f"file:{path}?{mode}", uri=True)
                try:
                    row = db.execute(query, (model,)).fetchone()
                finally:
                    db.close()
            except sqlite3.Error as error:
                if number < len(modes):
                    continue
                raise storage_error("read the index manifest", path, error) from error
            return (row[0], row[1]) if row else None
        return None

    def touch_last_update(self) -> None:
        self.set_meta("last_update", _now())
