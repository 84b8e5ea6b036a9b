"""The index as a use case: update, rebuild, status, behind a single-writer lock.

The embedding model is loaded only when something must be embedded, so an update with
nothing to do and `index status` are instant. The writer lock is an OS file lock
(`index/.writer.lock`): a second writer fails at once with a clear message (after a short
grace for a reader catching up), and a killed writer's lock is released by the OS, so it
never goes stale. A read-only or full index folder is reported as such (`storage.py`).

The lexical BM25 index derived from the collection (`lexical.py`) is kept in step after
every update and rebuild, still under the writer lock.

Not here: concrete model or client choices (`wiring.py`), printing (`cli/`, `ui/`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.config import Settings
from assistant.corpus.reader import CorpusScan, FileStamp, scan_corpus
from assistant.errors import IndexLockedError, IndexStoreError
from assistant.indexing.chunking import VietnameseChunker
from assistant.indexing.heal import holding_writer_lock, writer_lock_path
from assistant.indexing.lexical import lexical_dir, sync_lexical_index
from assistant.indexing.manifest import Manifest, ManifestEntry
from assistant.indexing.storage import storage_error
from assistant.indexing.store import ChunkStore, collection_name
from assistant.indexing.updater import (
    IndexUpdater,
    Progress,
    UpdatePlan,
    UpdateReport,
    plan_update,
    trusted_stamps,
)

# A process answering questions holds the writer lock for a moment after an update, to
# catch up with it (`ChunkStore.catch_up`); a writer waits this long for that to end, which
# is still an instant answer to a second writer.
READER_GRACE_S = 2.0


@dataclass
class IndexStatus:
    index_dir: str
    model: str
    collection: str | None
    articles: int
    chunks: int
    last_update: str | None
    pending: dict[str, list[str]] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)


class IndexService:
    """Keeps the Chroma collection of one embedding model in step with the corpus."""

    def __init__(
        self,
        settings: Settings,
        model_name: str,
        embedder_factory: Callable[[], BaseEmbedding],
        client_factory: Callable[[], Any],
    ) -> None:
        self.settings = settings
        self.model_name = model_name  # vectors are filed under this name
        self._embedder_factory = embedder_factory
        self._embedder: BaseEmbedding | None = None
        self._client_factory = client_factory
        self._client: Any = None
        self.chunker = VietnameseChunker(
            max_chars=settings.chunking.max_chars,
            overlap_sentences=settings.chunking.overlap_sentences,
            document_template=settings.embedding.document_template,
        )

    @property
    def manifest_path(self) -> Path:
        return self.settings.index / "manifest.sqlite"

    @property
    def embedder(self) -> BaseEmbedding:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    def _chroma(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _open(self, damaged_ok: bool = False) -> tuple[ChunkStore, Manifest]:
        """Store and manifest of this model's collection (loads the model the first time)."""
        known = Manifest.registered_collection(self.manifest_path, self.model_name)
        if known:
            name, dimension = known
        else:
            dimension = self.embedder.dimension  # type: ignore[attr-defined]
            name = collection_name(
                self.settings.store.collection_prefix, self.model_name, dimension
            )
        manifest = Manifest(self.manifest_path, name)
        if not known:
            manifest.register_model(self.model_name, dimension)
        return ChunkStore(self._chroma(), name, damaged_ok), manifest

    def is_built(self) -> bool:
        """Whether an index of this model exists (without loading anything)."""
        return Manifest.registered_collection(self.manifest_path, self.model_name) is not None

    def open_store(self) -> ChunkStore:
        return self._open()[0]

    def lexical_dir(self, store: ChunkStore) -> Path:
        """Where the lexical index of `store`'s collection is saved."""
        return lexical_dir(self.settings.index, store.name)

    def sync_lexical(self, store: ChunkStore) -> None:
        """Save the lexical index of `store` if an update left it stale (writer lock held)."""
        sync_lexical_index(store, self.lexical_dir(store))

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        index = self.settings.index
        if index.exists() and not index.is_dir():
            raise IndexStoreError(
                f"the index folder {index} is a file, not a folder; choose a folder with "
                "--index or ASSISTANT_INDEX"
            )
        try:
            index.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise storage_error("create the index folder", index, error) from error
        lock_path = writer_lock_path(index)
        try:
            # Made here, so a folder where no file can be created (/proc, a file, no
            # permission) is named as such, not waited on as if another writer held it.
            os.close(os.open(lock_path, os.O_CREAT | os.O_WRONLY, 0o644))
        except OSError as error:
            raise storage_error("create the index lock", index, error) from error
        lock = FileLock(str(lock_path), timeout=READER_GRACE_S)
        try:
            lock.acquire()
        except Timeout:
            raise IndexLockedError(
                f"another process is updating the index in {index} "
                f"(it holds {lock_path}); wait for it to finish and try again"
            ) from None
        except OSError as error:
            raise storage_error("lock the index", index, error) from error
        try:
            with holding_writer_lock(lock_path):  # so this process may heal the store (`heal.py`)
                yield
        finally:
            lock.release()

    def _check_probe(self, store: ChunkStore, embedder: BaseEmbedding) -> None:
        """Before writing: a server's vectors must be the collection's model's (`probe.py`)."""
        from assistant.indexing.probe import check_collection

        served = type(embedder).__name__ == "ServerEmbedding"  # not imported: httpx is slow
        check_collection(store, embedder, self.settings.embedding.document_template, served=served)

    def scan(self, known: dict[str, FileStamp] | None = None) -> CorpusScan:
        """The corpus; files matching a stamp in `known` are recognised without parsing."""
        settings = self.settings
        return scan_corpus(
            settings.corpus, settings.max_file_bytes, settings.allow_outside_links, known
        )

    def _known(self, collection: str | None, entries: dict[str, ManifestEntry]) -> dict:
        """Stamps of files whose indexed article needs no reading (see `trusted_stamps`)."""
        if collection is None:
            return {}
        manifest = Manifest(self.manifest_path, collection)
        try:
            return trusted_stamps(manifest.stamps(), entries, self.chunker)
        finally:
            manifest.close()

    def _indexed(self) -> tuple[str | None, dict[str, ManifestEntry], str | None]:
        """Collection, manifest entries and last update of this model (empty if never built)."""
        known = Manifest.registered_collection(self.manifest_path, self.model_name)
        if not known:
            return None, {}, None
        manifest = Manifest(self.manifest_path, known[0])
        try:
            return known[0], manifest.entries(), manifest.get_meta("last_update")
        finally:
            manifest.close()

    def indexed_articles(self) -> list[ManifestEntry]:
        """Articles whose chunks are complete in the store, from the manifest (loads nothing)."""
        return [entry for entry in self._indexed()[1].values() if entry.version]

    def plan(self, scan: CorpusScan | None = None) -> UpdatePlan:
        return plan_update(scan or self.scan(), self._indexed()[1], self.chunker)

    def update(self, progress: Progress | None = None) -> UpdateReport:
        """Bring the index in step with the corpus, embedding only what changed."""
        with self.writer_lock():
            collection, entries, _ = self._indexed()
            scan = self.scan(self._known(collection, entries))
            plan = plan_update(scan, entries, self.chunker)
            store, manifest = self._open()
            try:
                # Only a plan with something to embed needs the model loaded.
                embedder = self.embedder if plan.added or plan.changed else None
                if embedder is not None:
                    self._check_probe(store, embedder)
                report = IndexUpdater(store, manifest, self.chunker, embedder).apply(plan, progress)
                # Files whose article is now committed as read need no reading next time.
                manifest.set_stamps(trusted_stamps(scan.stamps, manifest.entries(), self.chunker))
            finally:
                manifest.close()
            # Also when nothing changed: it repairs a lexical index left stale or missing.
            self.sync_lexical(store)
        report.rejected, report.skipped = scan.rejected, scan.skipped
        return report

    def rebuild(self, progress: Progress | None = None) -> UpdateReport:
        """Index the whole corpus again, from scratch, then put it in place of the old index.

        The new index is built in a collection of its own while the old one goes on
        answering; then, in a few milliseconds, the old collection is deleted, the new one
        takes its name and the manifest rows follow in one transaction. Readers in other
        processes reopen the collection by name (`collection.StoredOnly`). A rebuild that fails
        or is killed leaves the old index as it was.
        """
        with self.writer_lock():
            live, manifest = self._open(damaged_ok=True)  # replaced, damaged or not
            manifest.close()
            client = self._chroma()
            staging = f"{live.name}-rebuild"
            with suppress(Exception):  # what a killed rebuild left behind
                client.delete_collection(staging)
            new_manifest = Manifest(self.manifest_path, staging)
            try:
                new_manifest.clear()
                new_store = ChunkStore(client, staging)
                scan = self.scan()  # no stamps: every file is read again
                plan = plan_update(scan, {}, self.chunker)
                embedder = self.embedder if plan.added else None
                if embedder is not None:
                    self._check_probe(new_store, embedder)
                updater = IndexUpdater(new_store, new_manifest, self.chunker, embedder)
                report = updater.apply(plan, progress)
                new_manifest.set_stamps(
                    trusted_stamps(scan.stamps, new_manifest.entries(), self.chunker)
                )
                live.replace_with(new_store)
                live_manifest = Manifest(self.manifest_path, live.name)
                try:
                    live_manifest.take_over(staging)
                finally:
                    live_manifest.close()
            finally:
                new_manifest.close()
            self.sync_lexical(ChunkStore(client, live.name))
        report.rejected, report.skipped = scan.rejected, scan.skipped
        return report

    def status(self) -> IndexStatus:
        collection, entries, last_update = self._indexed()
        scan = self.scan(self._known(collection, entries))
        plan = plan_update(scan, entries, self.chunker)
        committed = [entry for entry in entries.values() if entry.version]
        return IndexStatus(
            index_dir=str(self.settings.index),
            model=self.model_name,
            collection=collection,
            articles=len(committed),
            chunks=sum(entry.chunks for entry in committed),
            last_update=last_update,
            pending={
                "added": [article.id for article in plan.added],
                "changed": [article.id for article in plan.changed],
                "deleted": plan.deleted,
                "unfinished": plan.unfinished,
            },
            rejected=scan.rejected,
        )
