"""The Chroma collection that holds one embedding model's chunks.

Collections are named after the model and its dimension, so vectors of two models never
mix. Chunks are written with `upsert` under deterministic ids (re-writing a version is
idempotent) in llama-index's metadata layout, so llama-index's `ChromaVectorStore` and
retrievers read them back as nodes. A chunk's sentence vectors (`sentence_vectors.py`) are
stored once, as flat metadata beside the node's JSON, and read with the chunk
(`retrieval/sentences.read_passages`).

Not here: deciding what to write (`updater.py`), ranking beyond Chroma's nearest neighbours,
connecting to a Chroma server (`chroma_server.py`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from llama_index.core.schema import BaseNode, MetadataMode
from llama_index.core.vector_stores.utils import node_to_metadata_dict

from assistant.config import StoreSettings
from assistant.errors import IndexStoreError
from assistant.indexing.chroma_server import ServerGuard, server_address_of, server_client
from assistant.indexing.collection import StoredOnly
from assistant.indexing.heal import (
    HNSW_DAMAGE,
    SegmentHealer,
    holding_writer_lock,
    keep_log,
    rebuild_hint,
    writer_lock_path,
)
from assistant.indexing.sentence_vectors import SENTENCE_KEYS
from assistant.indexing.storage import storage_error

log = logging.getLogger(__name__)
_NO_CHUNK = "#catch-up#"  # never a chunk id (`article#version#n`): deleting it changes nothing


def chroma_client(store: StoreSettings, index_dir: Path) -> Any:
    """A Chroma client: files under `index_dir/chroma`, or a Chroma server (`chroma_server.py`)."""
    if store.mode == "http":
        return server_client(store)

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path = index_dir / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
        )
    except Exception as error:  # chromadb raises many kinds; the user needs one message
        raise storage_error("open the Chroma store", path, error) from error
    keep_log(path)  # so a damaged vector segment can be rebuilt from it (`heal.py`)
    return client


def collection_name(prefix: str, model_name: str, dimension: int) -> str:
    """`articles-google-embeddinggemma-300m-768`: Chroma-safe, unique per model and size."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model_name).strip("-._")
    return f"{prefix}-{slug}-{dimension}"[:200]


class ChunkStore:
    """Chunk vectors of one collection, addressed by article id and article version.

    A store in local files repairs its vector segment when it finds it damaged, at open
    and when a call fails on it (`heal.py`); `damaged_ok` leaves a segment that cannot be
    repaired as it is at open (`index rebuild` replaces it anyway).
    """

    def __init__(self, client: Any, name: str, damaged_ok: bool = False) -> None:
        self.name = name
        self.server = server_address_of(client)  # None: files or memory of this process
        self.folder = _files_of(client)  # None: memory or a server
        self.client = self._guarded(client)
        self.healer = None
        if self.folder is not None:
            self.healer = SegmentHealer(client, self.folder, writer_lock_path(self.folder.parent))
        with self._store_errors(f"open the Chroma collection {name}"):
            self.collection = self._open_collection()
            try:
                if self.healer is not None:
                    self.healer.check(self.collection.id)
            except IndexStoreError:
                if not damaged_ok:
                    raise

    def _guarded(self, target: Any) -> Any:
        return target if self.server is None else ServerGuard(target, self.server)

    def _open_collection(self) -> Any:
        collection = self.client.get_or_create_collection(
            self.name, metadata={"hnsw:space": "cosine"}
        )
        return StoredOnly(
            self._guarded(collection),
            lambda: self._guarded(self.client.get_collection(self.name)),
            lambda: self._store_errors(f"use the Chroma collection {self.name}"),
            None if self.healer is None else self.healer.retry,
        )

    @contextmanager
    def _store_errors(self, action: str) -> Iterator[None]:
        """Chroma's many kinds of errors as one `IndexStoreError` that says what to fix."""
        try:
            yield
        except IndexStoreError:
            raise
        except Exception as error:
            if self.folder is not None and HNSW_DAMAGE in str(error):
                raise IndexStoreError(rebuild_hint(self.folder)) from error
            if self.folder is not None:
                raise storage_error(action, self.folder, error) from error
            raise IndexStoreError(f"cannot {action}: {' '.join(str(error).split())}") from error

    def upsert(self, nodes: Sequence[BaseNode]) -> None:
        """Write nodes (with embeddings); existing ids are overwritten, never duplicated."""
        if not nodes:
            return
        batch = self.client.get_max_batch_size()
        for start in range(0, len(nodes), batch):
            part = nodes[start : start + batch]
            with self._store_errors(f"write chunks to the Chroma collection {self.name}"):
                self.collection.upsert(
                    ids=[node.node_id for node in part],
                    embeddings=[node.get_embedding() for node in part],
                    metadatas=[_chroma_metadata(node) for node in part],
                    documents=[node.get_content(metadata_mode=MetadataMode.NONE) for node in part],
                )

    def chunk_ids(self, article_id: str, version: str | None = None) -> set[str]:
        """Ids of the stored chunks of an article (of one version, if given)."""
        where: dict = {"article_id": article_id}
        if version is not None:
            where = {"$and": [where, {"version": version}]}
        with self._store_errors(f"read the Chroma collection {self.name}"):
            return set(self.collection.get(where=where, include=[])["ids"])

    def chunk_versions(self, article_ids: list[str]) -> dict[str, dict[str, set[str]]]:
        """For each article, its stored chunk ids by version, in one query."""
        found: dict[str, dict[str, set[str]]] = {}
        if not article_ids:
            return found
        with self._store_errors(f"read the Chroma collection {self.name}"):
            result = self.collection.get(
                where={"article_id": {"$in": article_ids}}, include=["metadatas"]
            )
        for chunk_id, meta in zip(result["ids"], result["metadatas"], strict=True):
            versions = found.setdefault(str(meta["article_id"]), {})
            versions.setdefault(str(meta.get("version", "")), set()).add(chunk_id)
        return found

    def delete_ids(self, chunk_ids: Iterable[str]) -> None:
        ids = sorted(set(chunk_ids))
        batch = self.client.get_max_batch_size()
        for start in range(0, len(ids), batch):
            with self._store_errors(f"delete chunks from the Chroma collection {self.name}"):
                self.collection.delete(ids=ids[start : start + batch])

    def delete_article(self, article_id: str, keep_version: str | None = None) -> None:
        """Remove an article's chunks, except those of `keep_version`."""
        stale = self.chunk_ids(article_id)
        if keep_version is not None:
            stale -= self.chunk_ids(article_id, keep_version)
        self.delete_ids(stale)

    def count(self) -> int:
        return self.collection.count()

    def catch_up(self, writer_lock: Path) -> bool:
        """Let this process's nearest-neighbour queries see chunks other processes wrote.

        Chroma's local client loads a collection's vectors once per process and answers
        queries from memory: `get` and `count` see another process's writes, queries do not,
        until this process itself writes (chromadb 1.5, measured). The smallest write,
        deleting an id that never exists, makes it replay what the others wrote. A write
        takes the index's writer lock: False if another writer holds it (try again later).
        A Chroma server answers every client from its own memory: nothing to catch up.
        """
        if self.server is not None:
            return True
        lock = FileLock(str(writer_lock), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            return False
        except OSError as error:  # e.g. a read-only index folder: queries stay as they are
            log.warning("cannot lock %s to refresh the Chroma collection: %s", writer_lock, error)
            return True
        try:
            with holding_writer_lock(writer_lock):
                self.collection.delete(ids=[_NO_CHUNK])
        except Exception as error:  # a stale answer beats no answer; the next update retries
            log.warning("cannot refresh the Chroma collection %s: %s", self.name, error)
        finally:
            lock.release()
        return True

    def replace_with(self, new: ChunkStore) -> None:
        """Delete this collection and give `new`'s its name (`index rebuild`'s swap).

        Readers holding this collection meet `NotFoundError` and reopen it by name.
        """
        with self._store_errors(f"replace the Chroma collection {self.name}"):
            self.client.delete_collection(self.name)
            new.collection.modify(name=self.name)
        new.name = self.name
        self.collection = new.collection


def _chroma_metadata(node: BaseNode) -> dict[str, Any]:
    """llama-index's flat metadata for `node`, with its sentence vectors stored once: beside
    the node's JSON copy (`_node_content`), not inside it."""
    kept = {key: node.metadata.pop(key) for key in SENTENCE_KEYS if key in node.metadata}
    try:
        meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
    finally:
        node.metadata.update(kept)
    meta.update(kept)
    return meta


def _files_of(client: Any) -> Path | None:
    """The folder of a persistent local client; None for memory or a server."""
    try:
        settings = client.get_settings()
    except AttributeError:  # not a chromadb client (a test double)
        return None
    return Path(settings.persist_directory) if settings.is_persistent else None
