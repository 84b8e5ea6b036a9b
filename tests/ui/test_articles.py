"""The Articles tab's functions: the table, status and updates after uploads and deletions."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.corpus.files import delete_article, save_uploads
from assistant.errors import IndexLockedError
from assistant.indexing.index_service import IndexService
from assistant.ui.articles import LOCKED_MESSAGE, article_rows, pending_summary, update_index
from assistant.wiring import build_retriever
from tests.corpus.test_files import LIMIT, NEW_MD, NEW_TXT, upload


def test_good_uploads_are_saved_and_become_answerable(
    tmp_path: Path, settings: Settings, service: IndexService, corpus_dir: Path
) -> None:
    update_index(service)
    before = service.open_store().count()
    seen: list[tuple[float, str]] = []

    result = save_uploads(
        [upload(tmp_path, "hợp tác xã.txt", NEW_TXT), upload(tmp_path, "dua thuyen.md", NEW_MD)],
        corpus_dir,
        LIMIT,
    )
    assert result.saved == ["hợp tác xã.txt", "dua thuyen.md"]
    assert result.rejected == []
    assert "chờ cập nhật: 2 mới, 0 sửa, 0 xóa" in pending_summary(service)

    summary = update_index(service, lambda fraction, text: seen.append((fraction, text)))
    assert summary.startswith("Đã thêm 2 bài, ")
    assert "đoạn được nhúng" in summary
    assert seen[-1][0] == 1.0 and all(0.0 <= fraction <= 1.0 for fraction, _ in seen)
    assert service.open_store().count() > before
    assert pending_summary(service).endswith("chỉ mục khớp với thư mục bài viết")

    rows = {row[4]: row for row in article_rows(service)}
    assert rows["hợp tác xã.txt"][:2] == ["Hợp tác xã Tân Phú mở rộng vùng cà phê", "5/3/2023"]
    assert rows["dua thuyen.md"][1] == "2/4/2023"
    assert rows["hợp tác xã.txt"][2] >= 1
    titles = [row[0][:3] for row in article_rows(service)]
    assert titles == ["Chủ", "Hợp", "Lễ "]  # by title, diacritics folded
    passages = build_retriever(settings, service).retrieve("Tân Phú trồng bao nhiêu héc-ta cà phê?")
    assert passages[0].article_id == "hợp tác xã.txt"
    assert "450 héc-ta" in passages[0].text


def test_delete_then_update_removes_the_chunks(
    tmp_path: Path, service: IndexService, corpus_dir: Path
) -> None:
    save_uploads([upload(tmp_path, "hợp tác xã.txt", NEW_TXT)], corpus_dir, LIMIT)
    update_index(service)
    with_article = service.open_store().count()
    delete_article("hợp tác xã.txt", corpus_dir)
    assert not (corpus_dir / "hợp tác xã.txt").exists()
    assert "0 mới, 0 sửa, 1 xóa" in pending_summary(service)
    assert update_index(service).startswith("Đã xóa 1 bài")
    assert "hợp tác xã.txt" not in {row[4] for row in article_rows(service)}
    assert service.open_store().count() < with_article


def test_a_held_writer_lock_gives_a_clear_message(service: IndexService) -> None:
    with service.writer_lock(), pytest.raises(IndexLockedError) as caught:
        update_index(service)
    assert str(caught.value) == LOCKED_MESSAGE
    assert "bài" in update_index(service)  # released: the update now runs


def test_rows_and_summary_before_any_index(service: IndexService) -> None:
    assert article_rows(service) == []
    assert pending_summary(service) == "Chưa có chỉ mục; chờ cập nhật: 1 mới, 0 sửa, 0 xóa"
    update_index(service)
    rows = article_rows(service)
    assert len(rows) == 1 and rows[0][1] == "11/10/2022"
    assert pending_summary(service).startswith(f"1 bài, {rows[0][2]} đoạn; ")
