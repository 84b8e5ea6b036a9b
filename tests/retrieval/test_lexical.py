"""The lexical index: BM25 over lexical tokens, persisted beside Chroma, kept in step by updates."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.indexing import lexical
from assistant.indexing.index_service import IndexService
from assistant.indexing.lexical import (
    LexicalIndex,
    ids_stamp,
    lexical_dir,
    store_ids,
    sync_lexical_index,
)
from assistant.retrieval.lexical import LexicalRetriever, open_lexical_index

SEED_ID = "000_d06571e5afc15d7f.txt"
TEXTS = {
    "a#1": "Tổng số đảng viên toàn tỉnh là 27.350 người.",
    "b#1": "Thành phố có 127.350 hộ dân và 12 phường.",
    "c#1": "Tỷ lệ chi bộ đã tổ chức đại hội đạt 78,56%, ngày 23/3/2022.",
}


def _built() -> LexicalIndex:
    return LexicalIndex.build(list(TEXTS), list(TEXTS.values()), ["Bài A", "Bài B", "Bài C"])


def _small() -> LexicalRetriever:
    return LexicalRetriever(_built())


def _top(index: LexicalRetriever, question: str) -> str | None:
    hits = index.retrieve(question, 3)
    return hits[0][0] if hits else None


def _write(corpus: Path, name: str, title: str, body: str) -> None:
    (corpus / name).write_text(f"{title}\n\nTác giả| 01/02/2023 09:00\n\n{body}\n", "utf-8")


def _folder(service: IndexService) -> Path:
    return lexical_dir(service.settings.index, service.open_store().name)


def _articles_found(service: IndexService, question: str) -> set[str]:
    store = service.open_store()
    index = open_lexical_index(store, _folder(service))
    hits = [chunk_id for chunk_id, _ in index.retrieve(question, 10)]
    return {chunk_id.split("#")[0] for chunk_id in hits}


def test_numbers_percents_dates_and_unaccented_words_are_found() -> None:
    index = _small()
    assert _top(index, "27350") == "a#1"
    assert _top(index, "Có bao nhiêu người? 27,350") == "a#1"
    assert _top(index, "127.350") == "b#1"
    assert _top(index, "78.56%") == "c#1"
    assert _top(index, "ngày 23 tháng 3 năm 2022") == "c#1"
    assert _top(index, "tong so dang vien") == "a#1"
    assert _top(index, "bài b") == "b#1"  # the title counts
    assert index.retrieve("xyz không có", 3) == [] or _top(index, "xyz") is None


def test_scores_are_best_first_and_k_is_respected() -> None:
    hits = _small().retrieve("đảng viên đại hội chi bộ", 2)
    assert len(hits) == 2
    assert hits[0][1] >= hits[1][1] > 0


def test_an_empty_index_returns_nothing_and_saves(tmp_path: Path) -> None:
    assert LexicalRetriever(LexicalIndex.build(["x#1"], ["…"])).retrieve("…", 5) == []
    empty = LexicalIndex.build([], [])
    assert LexicalRetriever(empty).retrieve("đảng viên", 5) == []
    empty.save(tmp_path / "lex")
    loaded = LexicalRetriever(LexicalIndex.load(tmp_path / "lex"))
    assert loaded.retrieve("đảng viên", 5) == []


def test_save_and_load_roundtrip(tmp_path: Path) -> None:
    index = _built()
    folder = tmp_path / "lexical" / "collection"
    index.save(folder)
    loaded = LexicalIndex.load(folder)
    assert loaded.ids == index.ids
    assert loaded.stamp == index.stamp == LexicalIndex.saved_stamp(folder)
    for question in ("27.350", "tong so dang vien", "78,56%", "23/03/2022"):
        got = LexicalRetriever(loaded).retrieve(question, 3)
        assert got == LexicalRetriever(index).retrieve(question, 3)
    # Saving again replaces the folder whole and leaves no temp folders behind.
    LexicalIndex.build(["z#1"], ["Nội dung khác"]).save(folder)
    assert LexicalIndex.load(folder).ids == ["z#1"]
    assert sorted(p.name for p in folder.parent.iterdir()) == ["collection"]


def test_missing_or_broken_index_does_not_load(tmp_path: Path) -> None:
    assert LexicalIndex.saved_stamp(tmp_path / "none") is None
    with pytest.raises(OSError):
        LexicalIndex.load(tmp_path / "none")
    _built().save(tmp_path / "lex")
    (tmp_path / "lex" / "lexical.json").write_text("{not json", encoding="utf-8")
    assert LexicalIndex.saved_stamp(tmp_path / "lex") is None


def test_update_saves_the_index_and_a_second_update_leaves_it(service: IndexService) -> None:
    service.update()
    folder = _folder(service)
    stamp = LexicalIndex.saved_stamp(folder)
    assert stamp is not None
    assert len(LexicalIndex.load(folder)) == service.open_store().count()
    mtime = (folder / "lexical.json").stat().st_mtime_ns
    service.update()
    assert (folder / "lexical.json").stat().st_mtime_ns == mtime
    assert not sync_lexical_index(service.open_store(), folder)


def test_lexical_results_follow_add_change_and_delete(
    service: IndexService, corpus_dir: Path
) -> None:
    service.update()
    assert _articles_found(service, "hợp tác xã nuôi tôm") <= {SEED_ID}
    _write(corpus_dir, "b.txt", "Bài thứ hai", "Hợp tác xã nuôi tôm có 4.321 thành viên.")
    service.update()
    assert "b.txt" in _articles_found(service, "hop tac xa nuoi tom")
    assert "b.txt" in _articles_found(service, "4321 thành viên")

    _write(corpus_dir, "b.txt", "Bài thứ hai", "Trang trại bò sữa có 8.765 con.")
    service.update()
    assert "b.txt" not in _articles_found(service, "hợp tác xã nuôi tôm 4.321")
    assert "b.txt" in _articles_found(service, "trang trại bò sữa 8765")

    (corpus_dir / "b.txt").unlink()
    service.update()
    assert "b.txt" not in _articles_found(service, "trang trại bò sữa 8765")
    store = service.open_store()
    assert LexicalIndex.load(_folder(service)).stamp == ids_stamp(store_ids(store))


def test_a_stale_or_missing_index_is_rebuilt_in_memory_never_served(
    service: IndexService, corpus_dir: Path, settings: Settings
) -> None:
    service.update()
    folder = _folder(service)
    store = service.open_store()
    stale = LexicalIndex.load(folder)
    # The collection changes behind the saved index's back (e.g. a killed update).
    seed_chunks = sorted(store.chunk_ids(SEED_ID))
    store.delete_ids(seed_chunks[:1])
    opened = open_lexical_index(store, folder)
    assert opened.index.stamp != stale.stamp
    assert seed_chunks[0] not in opened.ids
    assert LexicalIndex.saved_stamp(folder) == stale.stamp  # reading never writes

    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    rebuilt = open_lexical_index(store, folder)
    assert sorted(rebuilt.ids) == sorted(store_ids(store))
    service.update()  # the next update repairs the saved index
    assert LexicalIndex.saved_stamp(folder) == rebuilt.index.stamp


def test_an_open_index_follows_an_update_saved_meanwhile(
    service: IndexService, corpus_dir: Path
) -> None:
    service.update()
    index = open_lexical_index(service.open_store(), _folder(service))
    assert index.reloaded_if_replaced() is index
    _write(corpus_dir, "b.txt", "Bài thứ hai", "Hợp tác xã nuôi tôm có 4.321 thành viên.")
    os.utime(_folder(service) / "lexical.json", ns=(1, 1))  # mtime granularity on some disks
    service.update()
    fresh = index.reloaded_if_replaced()
    assert fresh is not index
    assert any(chunk_id.startswith("b.txt#") for chunk_id, _ in fresh.retrieve("4321", 3))


def test_an_update_tokenises_only_the_chunks_it_adds(
    service: IndexService, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.update()
    seed_chunks = set(service.open_store().chunk_ids(SEED_ID))
    read: list[str] = []
    original = lexical.iter_chunks

    def recording(store, ids):
        read.extend(ids)
        return original(store, ids)

    monkeypatch.setattr(lexical, "iter_chunks", recording)
    _write(corpus_dir, "b.txt", "Bài thứ hai", "Hợp tác xã nuôi tôm có 4.321 thành viên.")
    service.update()
    assert read and all(chunk_id.startswith("b.txt#") for chunk_id in read)
    assert not seed_chunks & set(read)
    assert "b.txt" in _articles_found(service, "4321 thành viên")

    read.clear()
    (corpus_dir / "b.txt").unlink()
    service.update()  # a delete reads nothing from Chroma but the ids
    assert read == []
    assert "b.txt" not in _articles_found(service, "4321 thành viên")


def test_an_index_of_another_format_or_torn_is_rebuilt(
    service: IndexService, caplog: pytest.LogCaptureFixture
) -> None:
    service.update()
    folder = _folder(service)
    store = service.open_store()
    meta = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
    (folder / "lexical.json").write_text(json.dumps({**meta, "format": "bm25s-0"}), "utf-8")
    with pytest.raises(ValueError, match="another format"):
        LexicalIndex.load(folder)
    assert len(open_lexical_index(store, folder).ids) == store.count()

    (folder / "lexical.json").write_text(json.dumps(meta), "utf-8")
    (folder / "ids.json").write_text(json.dumps(["x#1"]), "utf-8")  # torn by hand
    with pytest.raises(ValueError):
        LexicalIndex.load(folder)
    assert sorted(open_lexical_index(store, folder).ids) == sorted(store_ids(store))
    assert "rebuilding" in caplog.text
