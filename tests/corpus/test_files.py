"""The corpus files by article id: saving uploads, deleting, finding (hermetic, no index)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.corpus.files import delete_article, safe_file_name, save_uploads
from assistant.errors import ArticleError, AssistantError

LIMIT = 100_000
NEW_TXT = (
    "Hợp tác xã Tân Phú mở rộng vùng cà phê\n\n"
    "Minh Anh| 5/3/2023 09:15\n\n"
    "Năm nay hợp tác xã Tân Phú trồng thêm 450 héc-ta cà phê sạch ở xã Ea Kly.\n\n"
    "Các hộ xã viên được hỗ trợ cây giống và phân bón hữu cơ.\n"
).encode()
NEW_MD = (
    "---\ntitle: Lễ hội đua thuyền Bình Giang\ndate: 2023-04-02\n---\n\n"
    "Lễ hội đua thuyền trên sông Bình Giang thu hút 37 đội thuyền tham gia.\n"
).encode()


def upload(tmp_path: Path, name: str, data: bytes) -> Path:
    """A file as Gradio hands it over: somewhere in a temp folder, under the client's name."""
    folder = tmp_path / "uploads" / str(len(list(tmp_path.glob("uploads/*"))))
    folder.mkdir(parents=True)
    path = folder / name
    path.write_bytes(data)
    return path


def corpus_names(corpus_dir: Path) -> set[str]:
    return {path.name for path in corpus_dir.iterdir()}


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("anh.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "PNG"),
        ("rong.txt", b"", "tệp rỗng"),
        ("trang.txt", b"  \n\n  ", "tệp rỗng"),
        (
            "hong.txt",
            b"Ti\xeau \x80\x81\x82 \xff\xfe\xfd " * 3 + "Tiêu đề có dấu ".encode() * 9,
            "không phải bài viết",
        ),
        ("bai.pdf", b"%PDF-1.4", "chỉ nhận tệp .txt"),
        (".txt", NEW_TXT, "chỉ nhận tệp .txt"),
        ("lon.txt", b"Tieu de\n\n" + b"x" * (LIMIT + 1), "vượt giới hạn"),
    ],
)
def test_bad_uploads_are_rejected_with_a_reason_and_nothing_is_written(
    tmp_path: Path, corpus_dir: Path, name: str, data: bytes, reason: str
) -> None:
    before = corpus_names(corpus_dir)
    result = save_uploads([upload(tmp_path, name, data)], corpus_dir, LIMIT)
    assert result.saved == []
    assert len(result.rejected) == 1
    assert result.rejected[0][0] == name
    assert reason in result.rejected[0][1]
    assert corpus_names(corpus_dir) == before  # no temp file left behind either


def test_oversize_file_is_refused_from_its_size_alone(tmp_path: Path, corpus_dir: Path) -> None:
    path = upload(tmp_path, "lon.txt", b"")
    with path.open("wb") as file:  # sparse: huge on stat, never read
        file.truncate(10 * LIMIT)
    result = save_uploads([path], corpus_dir, LIMIT)
    assert result.rejected and "vượt giới hạn" in result.rejected[0][1]


def test_a_client_path_never_leaves_the_corpus(tmp_path: Path, corpus_dir: Path) -> None:
    nested = tmp_path / "uploads" / "a" / "b"
    nested.mkdir(parents=True)
    dotted = nested / ".." / "evil.txt"  # a client name like ../evil.txt
    dotted.write_bytes(NEW_TXT)
    backslashed = upload(tmp_path, "..\\..\\evil2.txt", NEW_MD)
    result = save_uploads([dotted, backslashed], corpus_dir, LIMIT)
    assert result.saved == ["evil.txt", "evil2.txt"]
    assert (corpus_dir / "evil.txt").is_file() and (corpus_dir / "evil2.txt").is_file()
    assert not (corpus_dir.parent / "evil.txt").exists()


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../evil.txt", "evil.txt"),
        ("C:\\Users\\x\\bài.txt", "bài.txt"),
        ("/etc/passwd.txt", "passwd.txt"),
        (".hidden.txt", "hidden.txt"),
        ("..txt", "txt"),
        ("a\x00b\x1f.txt", "ab.txt"),
        ("Bài viết mới.md", "Bài viết mới.md"),
        ("Ba\u0300i.txt", "Bài.txt"),  # NFD from macOS becomes NFC
        ("..", None),
        ("../", None),
        ("   ", None),
        (".txt", "txt"),  # then refused: no supported suffix
    ],
)
def test_safe_file_name(name: str, safe: str | None) -> None:
    assert safe_file_name(name) == safe


def test_long_names_are_shortened_below_the_file_system_limit() -> None:
    safe = safe_file_name("ắ" * 300 + ".txt")
    assert safe is not None and safe.endswith(".txt") and len(safe.encode()) <= 200


def test_a_taken_name_is_never_overwritten(tmp_path: Path, corpus_dir: Path) -> None:
    first = save_uploads([upload(tmp_path, "bài.txt", NEW_TXT)], corpus_dir, LIMIT)
    other = NEW_TXT.replace(b"450", b"500")
    second = save_uploads([upload(tmp_path, "bài.txt", other)], corpus_dir, LIMIT)
    same = save_uploads([upload(tmp_path, "bài.txt", NEW_TXT)], corpus_dir, LIMIT)
    assert first.saved == ["bài.txt"]
    assert second.saved == ["bài (2).txt"]
    assert (corpus_dir / "bài.txt").read_bytes() == NEW_TXT
    assert (corpus_dir / "bài (2).txt").read_bytes() == other
    assert same.saved == [] and "đã có trong kho" in same.rejected[0][1]


def test_unwritable_corpus_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(AssistantError, match="Không ghi được"):
        save_uploads([upload(tmp_path, "bai.txt", NEW_TXT)], blocker / "corpus", LIMIT)


def test_delete_finds_a_file_stored_under_an_nfd_name(corpus_dir: Path) -> None:
    (corpus_dir / "Ba\u0300i.txt").write_bytes(NEW_TXT)
    delete_article("Bài.txt", corpus_dir)
    assert not (corpus_dir / "Ba\u0300i.txt").exists()


@pytest.mark.parametrize("article_id", ["../x.txt", "/etc/passwd", "a/../../x.txt", ".", ""])
def test_delete_outside_the_corpus_is_refused(
    tmp_path: Path, corpus_dir: Path, article_id: str
) -> None:
    (tmp_path / "x.txt").write_bytes(NEW_TXT)
    with pytest.raises(ArticleError, match="không nằm trong thư mục bài viết"):
        delete_article(article_id, corpus_dir)
    assert (tmp_path / "x.txt").exists()


def test_delete_through_a_symlink_out_of_the_corpus_is_refused(
    tmp_path: Path, corpus_dir: Path
) -> None:
    (tmp_path / "x.txt").write_bytes(NEW_TXT)
    os.symlink(tmp_path / "x.txt", corpus_dir / "link.txt")
    with pytest.raises(ArticleError):
        delete_article("link.txt", corpus_dir)
    assert (tmp_path / "x.txt").exists()


@pytest.mark.parametrize("article_id", ["khong-co.txt", ".writer.lock"])
def test_delete_of_an_unknown_or_non_article_file_is_refused(
    corpus_dir: Path, article_id: str
) -> None:
    with pytest.raises(ArticleError):
        delete_article(article_id, corpus_dir)
