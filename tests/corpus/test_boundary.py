"""Per-file isolation and the corpus boundary (issue 16): what one odd file may not do.

One file whose front matter holds an impossible date, YAML nested thousands deep, a name
that is not UTF-8, a parser that fails in a way nobody foresaw, a link out of the corpus,
a FIFO: each is rejected by name with a one-line reason, and every other file is read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.corpus import parsing
from assistant.corpus.reader import scan_corpus
from assistant.corpus.walk import article_files
from assistant.errors import ArticleError

LIMIT = 1_000_000
ARTICLE = "Giá lúa tăng\n\nNguyễn Văn An| 02/03/2024 07:15\n\nGiá lúa tăng 300 đồng mỗi ký.\n"


def write(folder: Path, name: str | bytes, data: str) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), os.fsencode(name))))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8"))
    return path


def front_matter(body: str) -> str:
    return f"---\n{body}\n---\nThân bài về mùa vụ.\n"


@pytest.mark.parametrize(
    "yaml_text, reason",
    [
        ("title: Lúa\ndate: 2022-02-30", "impossible value (day is out of range for month)"),
        ("title: Lúa\ndate: 2022-13-01", "impossible value (month must be in 1..12)"),
        ("title: Lúa\nx: " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ("title: Lúa\ndate: 31/02/2023", "cannot read the date '31/02/2023'"),
        ("title: [Lúa\nauthor: An", "the YAML front matter is not valid"),
    ],
    ids=["day-30-feb", "month-13", "deep", "dmy-31-feb", "unclosed"],
)
def test_a_bad_front_matter_rejects_its_file_alone(tmp_path: Path, yaml_text, reason) -> None:
    write(tmp_path, "a.txt", ARTICLE)
    write(tmp_path, "b.md", front_matter(yaml_text))
    write(tmp_path, "c.txt", ARTICLE)
    scan = scan_corpus(tmp_path, LIMIT)
    assert [article.id for article in scan.articles] == ["a.txt", "c.txt"]
    [(name, message)] = scan.rejected
    assert name == "b.md" and message.startswith("b.md: ")
    assert reason in message
    assert "\n" not in message


def test_a_parser_failing_in_an_unforeseen_way_rejects_only_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(html: str, name: str):
        raise KeyError("a bug in a parser")

    monkeypatch.setitem(parsing.PARSERS, ".html", broken)
    write(tmp_path, "trang.html", "<h1>Tiêu đề</h1><p>Nội dung.</p>")
    write(tmp_path, "bài.txt", ARTICLE)
    scan = scan_corpus(tmp_path, LIMIT)
    assert [article.id for article in scan.articles] == ["bài.txt"]
    assert scan.rejected == [
        ("trang.html", "trang.html: cannot be parsed (KeyError: 'a bug in a parser')")
    ]


def test_a_file_name_that_is_not_utf8_is_rejected_by_its_escaped_name(tmp_path: Path) -> None:
    write(tmp_path, b"t\xean.txt", ARTICLE)  # "tên" saved in Latin-1 by an old tool
    write(tmp_path, "tên.txt", ARTICLE)
    scan = scan_corpus(tmp_path, LIMIT)
    assert [article.id for article in scan.articles] == ["tên.txt"]
    [(name, message)] = scan.rejected
    assert name == "t\\xean.txt"
    assert message == "t\\xean.txt: the file name is not valid UTF-8; rename it (e.g. with convmv)"
    message.encode("utf-8")  # printable and storable as it is


def test_a_file_name_with_control_characters_is_rejected_on_one_line(tmp_path: Path) -> None:
    write(tmp_path, "tin\nmới\x1b[31m.txt", ARTICLE)  # a newline and a terminal colour code
    scan = scan_corpus(tmp_path, LIMIT)
    assert scan.articles == []
    [(name, message)] = scan.rejected
    assert name == "tin\\x0amới\\x1b[31m.txt"
    assert message.startswith(name + ": the file name holds control characters")


def test_a_link_out_of_the_corpus_is_rejected_unless_allowed(tmp_path: Path) -> None:
    corpus, outside = tmp_path / "corpus", tmp_path / "elsewhere"
    write(outside, "bí mật.txt", ARTICLE)
    write(outside, "kho/bài.txt", ARTICLE)
    write(corpus, "bài.txt", ARTICLE)
    (corpus / "passwd.txt").symlink_to(outside / "bí mật.txt")
    (corpus / "kho").symlink_to(outside / "kho", target_is_directory=True)
    scan = scan_corpus(corpus, LIMIT)
    assert [article.id for article in scan.articles] == ["bài.txt"]
    assert [name for name, _ in scan.rejected] == ["kho", "passwd.txt"]
    assert all("outside the corpus folder" in why for _, why in scan.rejected)
    assert "ASSISTANT_ALLOW_OUTSIDE_LINKS" in scan.rejected[0][1]
    allowed = scan_corpus(corpus, LIMIT, allow_outside_links=True)
    assert [a.id for a in allowed.articles] == ["bài.txt", "kho/bài.txt", "passwd.txt"]
    assert allowed.rejected == []


def test_links_inside_the_corpus_are_read_once(tmp_path: Path) -> None:
    write(tmp_path, "2024/bài.txt", ARTICLE)
    (tmp_path / "bản sao.txt").symlink_to(tmp_path / "2024" / "bài.txt")
    (tmp_path / "mới nhất").symlink_to(tmp_path / "2024", target_is_directory=True)
    (tmp_path / "2024" / "vòng").symlink_to(tmp_path, target_is_directory=True)  # a loop
    scan = scan_corpus(tmp_path, LIMIT)
    # The folder link leads to a folder already read; the file link is its own article.
    assert [article.id for article in scan.articles] == ["2024/bài.txt", "bản sao.txt"]
    assert scan.rejected == []


@pytest.mark.parametrize("allow", [False, True])
def test_kernel_files_and_broken_links_are_never_read(tmp_path: Path, allow: bool) -> None:
    (tmp_path / "cpu.txt").symlink_to("/proc/cpuinfo")
    (tmp_path / "mất.txt").symlink_to(tmp_path / "không có.txt")
    scan = scan_corpus(tmp_path, LIMIT, allow_outside_links=allow)
    assert scan.articles == []
    reasons = dict(scan.rejected)
    assert "kernel file system" in reasons["cpu.txt"]
    assert "broken symbolic link" in reasons["mất.txt"]


def test_a_fifo_named_like_an_article_is_rejected_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ống.txt")  # reading it would block until someone writes
    write(tmp_path, "bài.txt", ARTICLE)
    scan = scan_corpus(tmp_path, LIMIT)
    assert [article.id for article in scan.articles] == ["bài.txt"]
    assert scan.rejected == [("ống.txt", "ống.txt: a FIFO, not a regular file; not read")]
    assert [path.name for path in article_files(tmp_path)] == ["bài.txt"]


def test_a_corpus_path_naming_a_file_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "bài.txt", ARTICLE)
    with pytest.raises(ArticleError, match="is not a folder"):
        scan_corpus(path, LIMIT)


def test_html_nested_too_deep_is_rejected_by_name_and_a_long_page_is_read(tmp_path: Path) -> None:
    deep = "<h1>Tiêu đề</h1>" + "<div>" * 20_000 + "Thân bài." + "</div>" * 20_000
    write(tmp_path, "sâu.html", deep)
    # 20,000 paragraphs side by side, and 20,000 left open as old sites do: both are pages.
    write(tmp_path, "dài.html", "<h1>Tiêu đề</h1>" + "<p>Một câu.</p>" * 20_000)
    write(tmp_path, "mở.html", "<h1>Tiêu đề</h1>" + "<p>Một câu." * 20_000)
    scan = scan_corpus(tmp_path, 10_000_000)
    assert scan.rejected == [
        (
            "sâu.html",
            "sâu.html: the HTML is not an article page (elements nested more than 500 levels deep)",
        )
    ]
    for article in scan.articles:
        assert article.body.count("Một câu.") == 20_000
