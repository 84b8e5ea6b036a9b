"""Tests of scanning a corpus folder: what is read, skipped, rejected or ignored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.corpus.reader import read_article, scan_corpus
from assistant.corpus.walk import article_files
from assistant.errors import ArticleError
from tests.textdata import encode_utf16, encode_windows_1258, nfd

SEED = Path(__file__).resolve().parents[2] / "corpus" / "000_d06571e5afc15d7f.txt"
LIMIT = 1_000_000
ARTICLE = "Tiêu đề bài viết\n\nHoàng Hoài| 11/10/2022 08:40\n\nTổng số đảng viên là 27.350 người.\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_seed_corpus_reads_cleanly(tmp_path: Path) -> None:
    write(tmp_path, SEED.name, SEED.read_bytes())
    scan = scan_corpus(tmp_path, LIMIT)
    assert (scan.skipped, scan.rejected) == ([], [])
    assert [article.id for article in scan.articles] == [SEED.name]
    assert scan.articles[0].author == "Hoàng Hoài"


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n  \n", "\ufeff \u200b\n".encode()])
def test_empty_files_are_skipped_not_rejected(tmp_path: Path, content: bytes) -> None:
    write(tmp_path, "trống.txt", content)
    scan = scan_corpus(tmp_path, LIMIT)
    assert scan.articles == []
    assert scan.rejected == []
    assert [name for name, _ in scan.skipped] == ["trống.txt"]


def test_png_renamed_txt_is_rejected_with_its_name(tmp_path: Path) -> None:
    write(tmp_path, "ảnh.txt", PNG)
    write(tmp_path, "bài.txt", ARTICLE)
    scan = scan_corpus(tmp_path, LIMIT)
    assert [article.id for article in scan.articles] == ["bài.txt"]
    [(name, message)] = scan.rejected
    assert name == "ảnh.txt"
    assert "ảnh.txt" in message
    assert "PNG" in message


def test_oversize_file_is_rejected_with_its_size(tmp_path: Path) -> None:
    path = write(tmp_path, "dài.txt", ARTICLE)
    size = path.stat().st_size
    scan = scan_corpus(tmp_path, max_bytes=size - 1)
    assert scan.articles == []
    [(name, message)] = scan.rejected
    assert name == "dài.txt"
    assert f"{size:,} bytes" in message
    assert f"{size - 1:,}-byte limit" in message


def test_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "vừa.txt", ARTICLE)
    article = read_article(path, tmp_path, max_bytes=path.stat().st_size)
    assert article.title == "Tiêu đề bài viết"


def test_file_name_with_spaces_and_vietnamese(tmp_path: Path) -> None:
    write(tmp_path, "bài viết số 1.txt", ARTICLE)
    [article] = scan_corpus(tmp_path, LIMIT).articles
    assert article.id == "bài viết số 1.txt"
    assert article.body == "Tổng số đảng viên là 27.350 người."


def test_nfd_file_name_gets_nfc_id(tmp_path: Path) -> None:
    write(tmp_path, nfd("thư mục/bài viết.txt"), ARTICLE)
    [article] = scan_corpus(tmp_path, LIMIT).articles
    assert article.id == "thư mục/bài viết.txt"


def test_nfc_and_nfd_names_of_one_article_are_not_read_twice(tmp_path: Path) -> None:
    write(tmp_path, "bài viết.txt", ARTICLE)
    write(tmp_path, nfd("bài viết.txt"), ARTICLE)
    scan = scan_corpus(tmp_path, LIMIT)
    assert [article.id for article in scan.articles] == ["bài viết.txt"]
    [(_, message)] = scan.rejected
    assert "same article id" in message


def test_nfc_and_nfd_content_have_the_same_hash(tmp_path: Path) -> None:
    write(tmp_path, "nfc.txt", ARTICLE)
    write(tmp_path, "nfd.txt", nfd(ARTICLE))
    first, second = scan_corpus(tmp_path, LIMIT).articles
    assert first.body == second.body
    assert first.sha256 == second.sha256


def test_changed_content_changes_the_hash(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", ARTICLE)
    write(tmp_path, "b.txt", ARTICLE.replace("27.350", "27.351"))
    first, second = scan_corpus(tmp_path, LIMIT).articles
    assert first.sha256 != second.sha256


def test_hidden_files_and_folders_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, ".draft.txt", ARTICLE)
    write(tmp_path, ".git/x.txt", ARTICLE)
    write(tmp_path, "sub/.cache/y.md", ARTICLE)
    write(tmp_path, "sub/bài.txt", ARTICLE)
    scan = scan_corpus(tmp_path, LIMIT)
    assert [article.id for article in scan.articles] == ["sub/bài.txt"]
    assert (scan.skipped, scan.rejected) == ([], [])


def test_unsupported_extensions_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "ảnh.png", PNG)
    write(tmp_path, "ghi chú.docx", b"PK\x03\x04")
    write(tmp_path, "bài.TXT", ARTICLE)
    write(tmp_path, "không đuôi", ARTICLE)
    assert [path.name for path in article_files(tmp_path)] == ["bài.TXT"]
    scan = scan_corpus(tmp_path, LIMIT)
    assert [article.id for article in scan.articles] == ["bài.TXT"]
    assert (scan.skipped, scan.rejected) == ([], [])


def test_folder_named_like_an_article_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "thư mục.txt").mkdir()
    write(tmp_path, "thư mục.txt/bài.txt", ARTICLE)
    assert [article.id for article in scan_corpus(tmp_path, LIMIT).articles] == [
        "thư mục.txt/bài.txt"
    ]


def test_missing_corpus_folder_raises(tmp_path: Path) -> None:
    missing = tmp_path / "không có"
    with pytest.raises(ArticleError, match=re.escape(str(missing))):
        scan_corpus(missing, LIMIT)


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    write(tmp_path, "1.txt", ARTICLE)
    write(tmp_path, "2.md", "---\ntitle: [hỏng\n---\nNội dung.")
    write(tmp_path, "3.txt", b"")
    write(tmp_path, "4.html", "<h1>Tiêu đề</h1><p>Nội dung.</p>")
    scan = scan_corpus(tmp_path, LIMIT)
    assert [article.id for article in scan.articles] == ["1.txt", "4.html"]
    assert [name for name, _ in scan.rejected] == ["2.md"]
    assert [name for name, _ in scan.skipped] == ["3.txt"]


def test_title_without_body_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "chỉ tiêu đề.txt", "Chỉ có tiêu đề\n\n(0) Bình luận\nNổi bật\n")
    scan = scan_corpus(tmp_path, LIMIT)
    assert scan.articles == []
    assert [name for name, _ in scan.skipped] == ["chỉ tiêu đề.txt"]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: encode_utf16(text, "le"),
        lambda text: encode_utf16(text, "be"),
        # Windows-1258 has no Icelandic eth, so that file is saved from the repaired text.
        lambda text: encode_windows_1258(text.replace("\u00d0", "\u0110")),
    ],
    ids=["utf-16-le", "utf-16-be", "windows-1258"],
)
def test_legacy_encodings_read_like_utf8(tmp_path: Path, encode) -> None:
    text = SEED.read_text(encoding="utf-8")
    write(tmp_path, "utf8.txt", text)
    write(tmp_path, "other.txt", encode(text))
    scan = scan_corpus(tmp_path, LIMIT)
    assert scan.rejected == []
    other, original = scan.articles
    assert other.body == original.body
    assert (other.title, other.author, other.date) == (
        original.title,
        original.author,
        original.date,
    )
    assert other.sha256 == original.sha256
