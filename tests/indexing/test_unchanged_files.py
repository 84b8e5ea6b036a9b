"""Unchanged files cost no parsing (issue 16): an update recognises an indexed article's
file from its stamp (size and mtime, then the sha256 of its bytes) before reading it."""

from __future__ import annotations

import os
from pathlib import Path

import chromadb
import pytest

from assistant.indexing.index_service import IndexService
from assistant.wiring import build_index_service
from bench.unchanged import count_reads

ARTICLE = (
    "Giá cà phê {n}\n\nTrần Thị Bình| 05/06/2024 10:00\n\n"
    "Giá cà phê hôm nay là {n}.000 đồng mỗi ký.\n"
)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many files the reader read and parsed since the test began."""
    return count_reads(monkeypatch.setattr)


def _fill(corpus: Path, count: int) -> None:
    for n in range(count):
        (corpus / f"cà phê {n:02d}.txt").write_text(ARTICLE.format(n=n), encoding="utf-8")


def test_a_second_update_and_status_read_no_file(service: IndexService, corpus_dir, counted):
    _fill(corpus_dir, 12)
    first = service.update()
    assert first.added == 13 and counted["parsed"] == 13  # the seed and twelve more
    counted.update(read=0, parsed=0)
    second = service.update()
    assert (second.added, second.changed, second.deleted, second.unchanged) == (0, 0, 0, 13)
    status = service.status()
    assert not any(status.pending.values())
    assert counted == {"read": 0, "parsed": 0}


def test_a_touched_file_is_hashed_not_parsed_then_trusted_again(
    service: IndexService, corpus_dir, counted
):
    _fill(corpus_dir, 2)
    service.update()
    path = corpus_dir / "cà phê 01.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    counted.update(read=0, parsed=0)
    assert service.update().unchanged == 3
    assert counted == {"read": 1, "parsed": 0}
    counted.update(read=0, parsed=0)
    service.update()
    assert counted == {"read": 0, "parsed": 0}  # its new mtime was recorded


def test_an_edited_or_deleted_file_is_seen(service: IndexService, corpus_dir, counted):
    _fill(corpus_dir, 3)
    service.update()
    (corpus_dir / "cà phê 00.txt").write_text(ARTICLE.format(n=99), encoding="utf-8")
    (corpus_dir / "cà phê 02.txt").unlink()
    report = service.update()
    assert (report.changed, report.deleted, report.unchanged) == (1, 1, 2)
    passages = service.open_store().count()
    assert passages > 0


def test_changed_chunking_reads_every_file_again(settings, corpus_dir, counted):
    _fill(corpus_dir, 2)
    client = chromadb.EphemeralClient()
    build_index_service(settings, client=client).update()
    smaller = settings.model_copy(
        update={"chunking": settings.chunking.model_copy(update={"max_chars": 200})}
    )
    counted.update(read=0, parsed=0)
    report = build_index_service(smaller, client=client).update()
    assert report.changed == 3 and counted["parsed"] == 3
