"""Incremental, crash-safe index updates: compare the corpus with the manifest, embed only
what changed, and never lose the previous version of an article before the new one is stored.

For each new or changed article: mark the new version pending, embed and upsert its chunks
(deterministic ids) with their sentences' vectors (`sentence_vectors.py`), delete the
article's other chunks, then commit the version. A failure while embedding leaves the old
chunks searchable; a kill at any point leaves a pending mark
that the next update finishes (chunks already stored are not embedded again) or cleans up.

llama-index's `IngestionPipeline` docstore is not used: its upsert path deletes old vectors
before the new embedding has succeeded, and its duplicates-only path records a hash before
success, which breaks both guarantees above. Its transforms (our chunker, the embedder) are.

Not here: the writer lock (`index_service.py`), reading files, Chroma details.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode

from assistant.corpus.article import Article
from assistant.corpus.reader import CorpusScan, FileStamp
from assistant.errors import EmbeddingServerError
from assistant.indexing.chunking import VietnameseChunker, article_document
from assistant.indexing.manifest import Manifest, ManifestEntry
from assistant.indexing.sentence_vectors import SENTENCE_DIMS, add_sentence_vectors
from assistant.indexing.store import ChunkStore

log = logging.getLogger(__name__)

# (articles done, articles to do, chunks embedded so far)
Progress = Callable[[int, int, int], None]

_GROUP_CHUNKS = 64  # chunks embedded together: full batches without holding much in memory
_DELETE_BATCH = 500  # articles removed per store query and manifest transaction


def article_version(article: Article, chunker: VietnameseChunker) -> str:
    """Changes when the article's content or the way it is chunked and embedded changes."""
    return content_version(article.sha256, chunker)


def content_version(content_sha256: str, chunker: VietnameseChunker) -> str:
    """`article_version` from the article's content hash alone (a file's stamp holds it)."""
    recipe = (
        f"{chunker.max_chars}|{chunker.overlap_sentences}|{chunker.document_template}"
        f"|sentences{SENTENCE_DIMS}"
    )
    return hashlib.sha256(f"{content_sha256}|{recipe}".encode()).hexdigest()[:16]


def trusted_stamps(
    stamps: dict[str, FileStamp], entries: dict[str, ManifestEntry], chunker: VietnameseChunker
) -> dict[str, FileStamp]:
    """The stamps that still vouch for an indexed article: its committed version is what
    the stamped content gives with today's chunking. A file matching one needs no reading."""
    return {
        article_id: stamp
        for article_id, stamp in stamps.items()
        if article_id in entries
        and entries[article_id].version == content_version(stamp.content_sha256, chunker)
    }


@dataclass
class UpdatePlan:
    """What an update will do; also the `pending changes` of `index status`."""

    added: list[Article] = field(default_factory=list)
    changed: list[Article] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)  # left pending by an interrupted run

    @property
    def pending(self) -> int:
        return len(self.added) + len(self.changed) + len(self.deleted) + len(self.unfinished)


@dataclass
class UpdateReport:
    added: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    repaired: int = 0
    chunks_embedded: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def plan_update(
    scan: CorpusScan, entries: dict[str, ManifestEntry], chunker: VietnameseChunker
) -> UpdatePlan:
    """Compare what the corpus holds with what the manifest says is indexed."""
    plan = UpdatePlan()
    present = {article.id for article in scan.articles} | set(scan.unchanged)
    # A file that could not be read keeps its indexed version: bad input loses nothing.
    unreadable = {name for name, _ in scan.rejected}
    for article in scan.articles:
        entry = entries.get(article.id)
        version = article_version(article, chunker)
        if entry is None or entry.version is None:
            plan.added.append(article)
        elif entry.version != version:
            plan.changed.append(article)
        else:
            plan.unchanged.append(article.id)
            if entry.pending_version is not None:
                plan.unfinished.append(article.id)
    for article_id in scan.unchanged:  # recognised from their stamps, not read
        plan.unchanged.append(article_id)
        if entries[article_id].pending_version is not None:
            plan.unfinished.append(article_id)
    for article_id in entries:
        if article_id not in present and article_id not in unreadable:
            plan.deleted.append(article_id)
    return plan


@dataclass
class _Pending:
    """An article on its way into the store: its new version and chunk nodes."""

    article: Article
    version: str
    nodes: list[BaseNode]


class IndexUpdater:
    """Applies an `UpdatePlan` to a store and its manifest."""

    def __init__(
        self,
        store: ChunkStore,
        manifest: Manifest,
        chunker: VietnameseChunker,
        embedder: BaseEmbedding | None,
    ) -> None:
        self.store = store
        self.manifest = manifest
        self.chunker = chunker
        self.embedder = embedder

    def apply(self, plan: UpdatePlan, progress: Progress | None = None) -> UpdateReport:
        report = UpdateReport(unchanged=len(plan.unchanged))
        todo = plan.added + plan.changed
        done = 0
        if progress:
            progress(done, len(todo), 0)
        group: list[_Pending] = []
        for article in todo:
            version = article_version(article, self.chunker)
            group.append(
                _Pending(article, version, self.chunker([article_document(article, version)]))
            )
            if sum(len(item.nodes) for item in group) >= _GROUP_CHUNKS:
                done += self._write_group(group, report)
                group = []
                if progress:
                    progress(done, len(todo), report.chunks_embedded)
        if group:
            done += self._write_group(group, report)
            if progress:
                progress(done, len(todo), report.chunks_embedded)
        failed = {article_id for article_id, _ in report.failed}
        report.added = sum(1 for article in plan.added if article.id not in failed)
        report.changed = sum(1 for article in plan.changed if article.id not in failed)
        for start in range(0, len(plan.deleted), _DELETE_BATCH):
            # Chunks first, then manifest rows: a crash in between is redone next time.
            batch = plan.deleted[start : start + _DELETE_BATCH]
            stored = self.store.chunk_versions(batch)
            self.store.delete_ids(
                chunk_id
                for versions in stored.values()
                for ids in versions.values()
                for chunk_id in ids
            )
            with self.manifest.batch():
                for article_id in batch:
                    self.manifest.remove(article_id)
            report.deleted += len(batch)
        entries = self.manifest.entries()
        for article_id in plan.unfinished:
            self.store.delete_article(article_id, keep_version=entries[article_id].version)
            self.manifest.clear_pending(article_id)
            report.repaired += 1
        self.manifest.touch_last_update()
        return report

    def _write_group(self, group: list[_Pending], report: UpdateReport) -> int:
        """Embed and store a group of articles; returns how many were attempted."""
        with self.manifest.batch():
            for item in group:
                self.manifest.mark_pending(item.article.id, item.version)
        stored = self.store.chunk_versions([item.article.id for item in group])
        missing: list[BaseNode] = []
        for item in group:
            # Chunks a killed run already stored are not embedded again.
            already = stored.get(item.article.id, {}).get(item.version, set())
            missing.extend(node for node in item.nodes if node.node_id not in already)
        try:
            if missing and self.embedder is None:
                raise RuntimeError("no embedding model was given for an update that embeds")
            embedded = self.embedder(missing) if missing else []
            add_sentence_vectors(embedded, self.embedder)
        except EmbeddingServerError:
            # The server is down or refusing: every later batch would fail the same way, so
            # the update stops here. This group's articles keep their previous version (their
            # pending marks are finished or cleaned up by the next update, as after a kill).
            raise
        except Exception as error:  # an embedding backend can fail in many ways
            if len(group) > 1:
                return sum(self._write_group([item], report) for item in group)
            log.warning("embedding %s failed: %s", group[0].article.id, error)
            report.failed.append((group[0].article.id, f"embedding failed: {error}"))
            return 1
        self.store.upsert(embedded)
        report.chunks_embedded += len(embedded)
        self.store.delete_ids(
            chunk_id
            for item in group
            for version, ids in stored.get(item.article.id, {}).items()
            if version != item.version
            for chunk_id in ids
        )
        with self.manifest.batch():
            for item in group:
                article = item.article
                self.manifest.commit(
                    article.id, item.version, article.title, article.date or "", len(item.nodes)
                )
        return len(group)
