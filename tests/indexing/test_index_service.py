"""Incremental updates through the index service, with the hashing embedder and Chroma in memory."""

from __future__ import annotations

from pathlib import Path

import chromadb
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.config import Settings
from assistant.errors import IndexLockedError
from assistant.indexing.embeddings import HashingEmbedding
from assistant.indexing.index_service import IndexService
from assistant.indexing.manifest import Manifest
from assistant.indexing.store import ChunkStore
from assistant.wiring import effective_model_name

SECOND = "Bài thứ hai\n\nTác giả| 01/02/2023 09:00\n\n{body}\n"


def _write(corpus: Path, name: str, body: str) -> None:
    (corpus / name).write_text(SECOND.format(body=body), encoding="utf-8")


def _consistent(service: IndexService) -> tuple[ChunkStore, dict]:
    """Store and manifest agree: every committed chunk present, nothing else stored."""
    store = service.open_store()
    entries = Manifest(service.manifest_path, store.name).entries()
    expected = sum(entry.chunks for entry in entries.values())
    assert store.count() == expected
    for article_id, entry in entries.items():
        assert entry.pending_version is None
        assert len(store.chunk_ids(article_id, entry.version)) == entry.chunks
    return store, entries


class ExplodingEmbedding(HashingEmbedding):
    """Fails on any text containing `trigger` (a real fake, not a mock)."""

    trigger: str = "NỔ"
    error: type[BaseException] = RuntimeError

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        if any(self.trigger in text for text in texts):
            raise self.error("embedding backend failed")
        return [self._vector(text) for text in texts]


def _service_with(settings: Settings, embedder: BaseEmbedding, client) -> IndexService:
    return IndexService(settings, effective_model_name(settings), lambda: embedder, lambda: client)


def test_first_update_adds_and_second_embeds_nothing(service: IndexService) -> None:
    first = service.update()
    assert (first.added, first.changed, first.deleted) == (1, 0, 0)
    assert first.chunks_embedded > 0
    second = service.update()
    assert (second.added, second.changed, second.deleted, second.unchanged) == (0, 0, 0, 1)
    assert second.chunks_embedded == 0
    _consistent(service)


def test_editing_one_article_reembeds_only_its_chunks(
    service: IndexService, corpus_dir: Path
) -> None:
    _write(corpus_dir, "b.txt", "Nội dung ban đầu về 12 chi bộ.")
    service.update()
    seed_chunks_before = service.open_store().chunk_ids("000_d06571e5afc15d7f.txt")
    _write(corpus_dir, "b.txt", "Nội dung mới: 15 chi bộ.\n\nĐoạn thứ hai.")
    report = service.update()
    assert (report.added, report.changed, report.unchanged) == (0, 1, 1)
    store, entries = _consistent(service)
    assert report.chunks_embedded == entries["b.txt"].chunks
    assert store.chunk_ids("000_d06571e5afc15d7f.txt") == seed_chunks_before
    texts = store.collection.get(ids=sorted(store.chunk_ids("b.txt")))["documents"]
    assert any("15 chi bộ" in text for text in texts)
    assert not any("12 chi bộ" in text for text in texts)


def test_deleting_an_article_removes_all_its_chunks(
    service: IndexService, corpus_dir: Path
) -> None:
    _write(corpus_dir, "b.txt", "Một bài sẽ bị xoá.")
    service.update()
    (corpus_dir / "b.txt").unlink()
    report = service.update()
    assert report.deleted == 1
    store, entries = _consistent(service)
    assert store.chunk_ids("b.txt") == set()
    assert "b.txt" not in entries


def test_unreadable_file_keeps_its_indexed_version(service: IndexService, corpus_dir: Path) -> None:
    _write(corpus_dir, "b.txt", "Bài tốt, 7 chi bộ.")
    service.update()
    (corpus_dir / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    report = service.update()
    assert report.deleted == 0
    assert any("b.txt" in why for _, why in report.rejected)
    assert service.open_store().chunk_ids("b.txt")


def test_embedding_failure_keeps_previous_version_and_retry_completes(
    settings: Settings, corpus_dir: Path
) -> None:
    client = chromadb.EphemeralClient()
    healthy = _service_with(settings, HashingEmbedding(256), client)
    _write(corpus_dir, "b.txt", "Phiên bản cũ: 10 đảng viên.")
    healthy.update()
    old_ids = healthy.open_store().chunk_ids("b.txt")

    _write(corpus_dir, "b.txt", "Phiên bản mới NỔ: 11 đảng viên.")
    report = _service_with(settings, ExplodingEmbedding(256), client).update()
    assert [article for article, _ in report.failed] == ["b.txt"]
    assert report.changed == 0
    assert healthy.open_store().chunk_ids("b.txt") == old_ids  # still searchable

    retry = healthy.update()
    assert retry.changed == 1
    _consistent(healthy)


def test_interrupted_update_is_repaired_without_duplicates(
    settings: Settings, corpus_dir: Path
) -> None:
    client = chromadb.EphemeralClient()
    _write(corpus_dir, "b.txt", "Bài B: 3 chi bộ.")
    _write(corpus_dir, "c.txt", "Bài C NỔ: 4 chi bộ.")
    crashing = ExplodingEmbedding(256)
    crashing.error = KeyboardInterrupt  # like Ctrl-C: not caught as an embedding failure
    with pytest.raises(KeyboardInterrupt):
        _service_with(settings, crashing, client).update()
    healthy = _service_with(settings, HashingEmbedding(256), client)
    assert healthy.plan().pending > 0
    healthy.update()
    _consistent(healthy)
    assert healthy.update().chunks_embedded == 0


def test_chunks_already_stored_by_a_killed_run_are_not_embedded_again(
    service: IndexService,
) -> None:
    service.update()
    store, entries = _consistent(service)
    entry = entries["000_d06571e5afc15d7f.txt"]
    # Simulate a run killed after upserting the new version but before committing it.
    manifest = Manifest(service.manifest_path, store.name)
    manifest.remove("000_d06571e5afc15d7f.txt")
    manifest.mark_pending("000_d06571e5afc15d7f.txt", entry.version)
    report = service.update()
    assert report.added == 1 and report.chunks_embedded == 0
    _consistent(service)


def test_second_writer_fails_fast(service: IndexService) -> None:
    with (
        service.writer_lock(),
        pytest.raises(IndexLockedError, match="another process"),
        service.writer_lock(),
    ):
        pass


def test_rebuild_starts_from_scratch(service: IndexService) -> None:
    first = service.update()
    rebuilt = service.rebuild()
    assert rebuilt.added == 1 and rebuilt.chunks_embedded == first.chunks_embedded
    _consistent(service)


def test_status_reports_counts_and_pending_changes(service: IndexService, corpus_dir: Path) -> None:
    before = service.status()
    assert before.collection is None and before.pending["added"] == ["000_d06571e5afc15d7f.txt"]
    service.update()
    _write(corpus_dir, "b.txt", "Bài mới chưa lập chỉ mục.")
    status = service.status()
    assert status.articles == 1 and status.chunks > 0 and status.last_update
    assert status.pending["added"] == ["b.txt"]
    assert "hashing-256" in status.collection


def test_models_never_share_a_collection(settings: Settings) -> None:
    client = chromadb.EphemeralClient()
    small = settings.model_copy(
        update={"embedding": settings.embedding.model_copy(update={"hashing_dim": 64})}
    )
    a = _service_with(settings, HashingEmbedding(256), client)
    b = _service_with(small, HashingEmbedding(64), client)
    a.update()
    b.update()
    assert a.open_store().name != b.open_store().name
    _consistent(a)
    _consistent(b)
