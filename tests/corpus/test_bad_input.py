"""Bad input, end to end (issue 7, items 1-4): odd encodings, empty, binary and huge files,
hidden HTML, and hostile file names go through a real index update (hashing embedder,
in-memory Chroma) and are then looked for with a normal question.

Each test states what a user would see: the article found, the file named in a warning or
a rejection, nothing written outside `corpus/`. The unit tests of the pieces are in
`test_reader.py`, `test_parsing.py`, `tests/text/test_decoding.py` and `tests/ui/`.
"""

from __future__ import annotations

import html
import logging
import re
import tracemalloc
import unicodedata
from pathlib import Path, PosixPath
from typing import ClassVar

import pytest

from assistant.config import Settings
from assistant.corpus.files import find_article_file
from assistant.corpus.reader import read_article, scan_corpus
from assistant.errors import ArticleError
from assistant.indexing.index_service import IndexService
from assistant.indexing.lexical import lexical_dir
from assistant.retrieval.lexical import open_lexical_index
from assistant.ui.articles import upload_articles
from assistant.ui.chat import respond
from assistant.wiring import build_assistant
from tests.textdata import encode_utf16, encode_windows_1258, nfd

# A short report whose figures the seed article does not hold.
TITLE = "Đảng bộ xã Đông Hòa tổng kết công tác năm 2023"
ARTICLE = (
    f"{TITLE}\n\n"
    "Lê Minh Đức| 12/1/2024 08:00\n\n"
    "Đảng bộ xã Đông Hòa hiện có 1.245 đảng viên, sinh hoạt tại 18 chi bộ trực thuộc.\n\n"
    "Trong năm 2023, Đảng bộ xã Đông Hòa kết nạp 37 đảng viên mới, đạt 92,5% chỉ tiêu.\n"
)
QUESTION = "Đảng bộ xã Đông Hòa có bao nhiêu đảng viên?"


def crlf(text: str) -> str:
    """Line ends as Windows editors save them."""
    return text.replace("\n", "\r\n")


# The same article as it arrives from other tools; every one must index as ARTICLE does.
VARIANTS = {
    "windows-1258": lambda text: encode_windows_1258(crlf(text)),
    "utf-16-le-bom": lambda text: encode_utf16(crlf(text), "le"),
    "utf-16-be-bom": lambda text: encode_utf16(text, "be"),
    "nfd-utf-8": lambda text: nfd(text).encode("utf-8"),
    # Ð (U+00D0, the Icelandic eth) typed for Đ, as copy-pasted Vietnamese often has it.
    "eth-for-d": lambda text: text.replace("Đ", "\u00d0").encode("utf-8"),
}
COMBINING = {chr(code) for code in range(0x300, 0x370)}


def write(corpus: Path, name: str, data: bytes | str) -> Path:
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def stored_chunks(service: IndexService, article_id: str | None = None) -> list[dict]:
    """The chunks Chroma holds (of one article, if given): text and metadata."""
    where = {"article_id": article_id} if article_id else None
    found = service.open_store().collection.get(where=where, include=["documents", "metadatas"])
    return [
        {"text": text, **meta}
        for text, meta in zip(found["documents"], found["metadatas"], strict=True)
    ]


def lexical_hits(settings: Settings, service: IndexService, query: str) -> list[str]:
    """Chunk ids the BM25 index finds for `query` (dense retrieval always returns something)."""
    store = service.open_store()
    index = open_lexical_index(store, lexical_dir(settings.index, store.name))
    return [chunk_id for chunk_id, _ in index.retrieve(query, 20)]


# 1. Encodings --------------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_encoded_article_is_indexed_as_nfc_and_found(
    variant: str, settings: Settings, service: IndexService, corpus_dir: Path
) -> None:
    write(corpus_dir, "bài.txt", VARIANTS[variant](ARTICLE))
    report = service.update()
    assert (report.rejected, report.skipped, report.failed) == ([], [], [])
    assert report.added == 2

    chunks = stored_chunks(service, "bài.txt")
    assert chunks
    for chunk in chunks:
        assert unicodedata.is_normalized("NFC", chunk["text"]), chunk["text"]
        assert not COMBINING & set(chunk["text"])
        assert "\u00d0" not in chunk["text"] and "\r" not in chunk["text"]
        assert chunk["title"] == TITLE and chunk["author"] == "Lê Minh Đức"
    text = "\n".join(chunk["text"] for chunk in chunks)
    assert "Đảng bộ xã Đông Hòa hiện có 1.245 đảng viên" in text  # Đ is U+0110

    answer = build_assistant(settings, service).ask(QUESTION)
    assert answer.short_answer == "1.245 đảng viên"
    assert answer.citations[0].article_id == "bài.txt"
    assert "1.245" in answer.citations[0].quote


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_resaving_an_article_in_another_form_embeds_nothing(
    variant: str, service: IndexService, corpus_dir: Path
) -> None:
    path = write(corpus_dir, "bài.txt", ARTICLE)
    service.update()
    before = stored_chunks(service, "bài.txt")

    path.write_bytes(VARIANTS[variant](ARTICLE))
    report = service.update()
    assert (report.added, report.changed, report.unchanged) == (0, 0, 2)
    assert report.chunks_embedded == 0
    assert stored_chunks(service, "bài.txt") == before


def test_nfc_and_nfd_names_of_one_article_index_it_once(
    service: IndexService, corpus_dir: Path
) -> None:
    write(corpus_dir, "Đông Hòa.txt", ARTICLE)
    write(corpus_dir, nfd("Đông Hòa.txt"), nfd(ARTICLE))
    report = service.update()
    assert report.added == 2  # the seed article and this one, once
    [(name, why)] = report.rejected  # whichever of the two is read second
    assert {name} < {"Đông Hòa.txt", nfd("Đông Hòa.txt")}
    assert "same article id" in why and "another Unicode form" in why
    ids = {chunk["article_id"] for chunk in stored_chunks(service)}
    assert ids == {"000_d06571e5afc15d7f.txt", "Đông Hòa.txt"}


# 2. Empty, tiny, binary and huge files --------------------------------------------------

NOT_ARTICLES = {
    "rỗng.txt": b"",
    "trắng.txt": b"  \r\n\t \n\x0c\n   ",
    "chỉ bom.txt": b"\xef\xbb\xbf",
    "utf16 trắng.txt": encode_utf16(" \r\n \n", "le"),
    "vô hình.md": "\u200b\u200d\ufeff\n".encode(),
    "một chữ.txt": b"x",
    "chỉ tiêu đề.txt": "Tiêu đề không có bài\n".encode(),
    "chỉ dấu.txt": b"\xd2",  # Windows-1258: a lone combining hook, no letter
    "rỗng.html": b"<html><body><p> </p><script>x()</script></body></html>",
}
TINY = "Tin ngắn xã Đông Hòa\n\nXã Đông Hòa có 9 thôn.\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06" + bytes(200)


def test_empty_and_tiny_files_are_skipped_with_a_warning_and_leave_no_empty_chunk(
    service: IndexService, corpus_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name, data in NOT_ARTICLES.items():
        write(corpus_dir, name, data)
    write(corpus_dir, "tin ngắn.txt", TINY)
    with caplog.at_level(logging.WARNING, logger="assistant.corpus.reader"):
        report = service.update()

    assert report.rejected == []
    assert sorted(name for name, _ in report.skipped) == sorted(NOT_ARTICLES)
    warned = "\n".join(record.getMessage() for record in caplog.records)
    for name in NOT_ARTICLES:
        assert f"skipped {name}: " in warned
    chunks = stored_chunks(service)
    assert all(chunk["text"].strip() for chunk in chunks)
    assert {chunk["article_id"] for chunk in chunks} == {"000_d06571e5afc15d7f.txt", "tin ngắn.txt"}
    [tiny] = stored_chunks(service, "tin ngắn.txt")  # a short article is still an article
    assert tiny["text"] == "Xã Đông Hòa có 9 thôn."


def test_png_renamed_txt_is_rejected_by_name_and_the_rest_is_indexed(run, corpus_dir: Path) -> None:
    write(corpus_dir, "ảnh chụp.txt", PNG)
    write(corpus_dir, "bài.txt", ARTICLE)
    result = run("index", "update")
    assert result.exit_code == 0, result.output
    assert "rejected ảnh chụp.txt: not a text article, looks like a PNG image" in result.output
    status = run("index", "status", "--json")
    assert '"ảnh chụp.txt"' in status.output and '"articles": 2' in status.output


def test_oversize_file_is_rejected_from_its_size_without_being_read(
    service: IndexService, corpus_dir: Path, settings: Settings
) -> None:
    huge = corpus_dir / "khổng lồ.txt"
    with huge.open("wb") as file:  # sparse: 1 GiB on stat, no disk used
        file.truncate(2**30)
    tracemalloc.start()
    try:
        scan = scan_corpus(corpus_dir, settings.max_file_bytes)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # reading it would have taken a gigabyte
    [(name, why)] = scan.rejected
    assert name == "khổng lồ.txt"
    assert f"{2**30:,} bytes is over the {settings.max_file_bytes:,}-byte limit" in why

    report = service.update()
    assert [name for name, _ in report.rejected] == ["khổng lồ.txt"]
    assert report.added == 1
    assert stored_chunks(service, "khổng lồ.txt") == []


class GrowingFile(PosixPath):
    """A corpus file that another program keeps appending to after its size is checked;
    records the size of every read made from it."""

    reads: ClassVar[list[int]] = []

    def stat(self, **kwargs):  # type: ignore[override]
        checked = super().stat(**kwargs)
        with open(self, "ab") as file:  # not self.open: that one is spied on
            file.write(b"x" * 50_000)
        return checked

    def open(self, *args, **kwargs):  # type: ignore[override]
        file = super().open(*args, **kwargs)
        reads = self.reads

        class Spy:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                file.close()

            def read(self, size: int = -1) -> bytes:
                reads.append(size)
                return file.read(size)

        return Spy()


def test_a_file_growing_after_the_size_check_is_read_only_up_to_the_limit(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(GrowingFile, "reads", [])
    limit = 10_000
    path = GrowingFile(write(corpus_dir, "đang chép.txt", ARTICLE))
    with pytest.raises(
        ArticleError, match=re.escape("đang chép.txt: grew past the 10,000-byte limit")
    ):
        read_article(path, corpus_dir, limit)
    assert sum(GrowingFile.reads) == limit + 1  # never more, and never "read it all"
    assert all(size >= 0 for size in GrowingFile.reads)


def test_a_file_growing_within_the_limit_is_read_whole(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(GrowingFile, "reads", [])
    path = GrowingFile(write(corpus_dir, "đang chép.txt", ARTICLE))
    article = read_article(path, corpus_dir, 1_000_000)
    assert article.body.endswith("92,5% chỉ tiêu.\n" + "x" * 50_000)


# 3. Hidden HTML -----------------------------------------------------------------------

# Each hidden place holds a made-up code word and the "secret" figure 99.999.
HIDDEN = {
    "KICHBANDAU": '<script>var note = "KICHBANDAU quỹ bí mật 99.999 đồng";</script>',
    "DULIEUJSON": '<script type="application/ld+json">{"x": "DULIEUJSON 99.999"}</script>',
    "KIEUCSS": "<style>p::after { content: 'KIEUCSS quỹ bí mật 99.999 đồng' }</style>",
    "THUOCTINHAN": "<div hidden><p>THUOCTINHAN: quỹ bí mật của xã là 99.999 đồng.</p></div>",
    "HIDDENHIDDEN": '<p hidden="hidden">HIDDENHIDDEN quỹ bí mật 99.999 đồng.</p>',
    "KHONGHIEN": (
        '<div style="color:red; display: none"><p>KHONGHIEN: quỹ bí mật của xã là 99.999 '
        "đồng.</p><ul><li>KHONGHIEN lồng bên trong</li></ul></div>"
    ),
    "HOATHUONG": '<span style="DISPLAY:NONE !important">HOATHUONG 99.999</span>',
    "VOHINH": '<p style="visibility: hidden">VOHINH quỹ bí mật 99.999 đồng.</p>',
    "ARIAAN": '<div aria-hidden="true">ARIAAN quỹ bí mật 99.999 đồng.</div>',
    "NOSCRIPTAN": "<noscript>NOSCRIPTAN quỹ bí mật 99.999 đồng.</noscript>",
    "MAUTEMPLATE": "<template><p>MAUTEMPLATE quỹ bí mật 99.999 đồng.</p></template>",
    "BINHLUANHTML": "<!-- BINHLUANHTML quỹ bí mật 99.999 đồng. -->",
    "HINHSVG": "<svg><text>HINHSVG quỹ bí mật 99.999 đồng.</text></svg>",
    "ONHAP": '<input type="hidden" name="q" value="ONHAP quỹ bí mật 99.999 đồng">',
}
HTML_PAGE = f"""<!DOCTYPE html>
<html lang="vi"><head>
<title>{TITLE}</title>
<meta name="author" content="Lê Minh Đức">
<style>body {{ font: 16px serif }} /* KIEUDAU */</style>
<script>window.KICHBANDAU = 99999;</script>
</head><body><article>
<h1>{TITLE}</h1>
<p>Đảng bộ xã Đông Hòa hiện có <b>1.245</b> đảng viên, sinh hoạt tại 18 chi bộ.</p>
{"".join(HIDDEN.values())}
<p>Trong năm 2023, Đảng bộ kết nạp 37 đảng viên mới.</p>
</article></body></html>"""


def test_hidden_html_text_is_never_indexed_nor_found(
    settings: Settings, service: IndexService, corpus_dir: Path
) -> None:
    write(corpus_dir, "trang.html", HTML_PAGE)
    report = service.update()
    assert (report.added, report.rejected, report.skipped) == (2, [], [])

    text = "\n".join(chunk["text"] for chunk in stored_chunks(service, "trang.html"))
    assert text == (
        "Đảng bộ xã Đông Hòa hiện có 1.245 đảng viên, sinh hoạt tại 18 chi bộ.\n\n"
        "Trong năm 2023, Đảng bộ kết nạp 37 đảng viên mới."
    )
    for word in [*HIDDEN, "KIEUDAU", "99.999", "99999", "quỹ bí mật"]:
        assert word not in text
    assert any(hit.startswith("trang.html#") for hit in lexical_hits(settings, service, "Đông Hòa"))
    for word in [*HIDDEN, "KIEUDAU"]:
        assert lexical_hits(settings, service, word) == [], word

    assistant = build_assistant(settings, service)
    secret = assistant.ask("Quỹ bí mật của xã Đông Hòa là bao nhiêu đồng?")
    assert "99.999" not in secret.text
    assert all("99.999" not in citation.quote for citation in secret.citations)
    visible = assistant.ask(QUESTION)  # the visible text is indexed as usual
    assert visible.short_answer == "1.245 đảng viên"
    assert visible.citations[0].article_id == "trang.html"


# 4. File names ------------------------------------------------------------------------

# (file name on disk, its article id, title, body sentence, question, short answer)
NAMED = [
    (
        "bài viết số 1.txt",
        "bài viết số 1.txt",
        "Xã Tân Phú làm đường giao thông nông thôn",
        "Năm 2023 xã Tân Phú làm mới 24,6 km đường giao thông nông thôn.",
        "Năm 2023 xã Tân Phú làm mới bao nhiêu km đường giao thông nông thôn?",
        "24,6 km",
    ),
    (
        nfd("thư mục con/Báo cáo Hòa Bình.md"),  # as copied from macOS
        "thư mục con/Báo cáo Hòa Bình.md",
        "Phường Hòa Bình tổng kết công tác dân vận",
        "Phường Hòa Bình đã vận động 1.732 hộ dân hiến đất mở rộng hẻm.",
        "Phường Hòa Bình đã vận động bao nhiêu hộ dân hiến đất?",
        "1.732 hộ dân",
    ),
    (
        "Báo cáo \"quý 3\" #2 (50%) [bản cuối] {x} & 'y'; a=b+c, ~ $HOME <b>đậm.html",
        "Báo cáo \"quý 3\" #2 (50%) [bản cuối] {x} & 'y'; a=b+c, ~ $HOME <b>đậm.html",
        "Thị trấn Ea Kar trồng thêm cây xanh",
        "Thị trấn Ea Kar đã trồng thêm 4.096 cây xanh dọc các tuyến phố.",
        "Thị trấn Ea Kar đã trồng thêm bao nhiêu cây xanh?",
        "4.096 cây xanh",
    ),
]


def article_file(title: str, sentence: str, name: str) -> str:
    if name.endswith(".md"):
        return f"---\ntitle: {title}\ndate: 2023-12-20\n---\n\n{sentence}\n"
    if name.endswith(".html"):
        return f"<html><body><h1>{title}</h1><p>{sentence}</p></body></html>"
    return f"{title}\n\n{sentence}\n"


def test_odd_file_names_are_indexed_and_cited_by_their_name(
    settings: Settings, service: IndexService, corpus_dir: Path
) -> None:
    for name, _, title, sentence, _, _ in NAMED:
        write(corpus_dir, name, article_file(title, sentence, name))
    report = service.update()
    assert (report.added, report.rejected, report.skipped) == (4, [], [])

    assistant = build_assistant(settings, service)
    for _, article_id, title, sentence, question, short in NAMED:
        answer = assistant.ask(question)
        assert answer.short_answer == short, question
        citation = answer.citations[0]
        assert (citation.article_id, citation.title) == (article_id, title)
        # The app's sources panel names the file, escaped, and opens the whole article.
        *_, (_, sources, _, _) = respond(assistant, settings, question, [], [])
        assert f"<small>{html.escape(article_id)}</small>" in sources
        assert "<b>đậm" not in sources
        assert "Xem toàn bài" in sources and html.escape(sentence) in sources


def test_find_article_file_stays_inside_the_corpus(tmp_path: Path, corpus_dir: Path) -> None:
    outside = write(tmp_path, "ngoài.txt", ARTICLE)
    (corpus_dir / "lối tắt.txt").symlink_to(outside)
    nfd_file = write(corpus_dir, nfd("Hòa Bình/bài.txt"), ARTICLE)
    assert find_article_file(corpus_dir, "Hòa Bình/bài.txt") == nfd_file.resolve()
    for article_id in ["../ngoài.txt", str(outside), "lối tắt.txt", "không có.txt", ""]:
        assert find_article_file(corpus_dir, article_id) is None, article_id


def snapshot(root: Path, *leave_out: Path) -> dict[str, bytes]:
    """Every file under `root` but those under `leave_out`, with its bytes."""
    return {
        str(path): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and not any(path.is_relative_to(folder) for folder in leave_out)
    }


def test_uploads_never_write_outside_the_corpus(
    tmp_path: Path, settings: Settings, service: IndexService, corpus_dir: Path
) -> None:
    outside = write(tmp_path, "ngoài/trùng.txt", "nội dung bên ngoài")
    (corpus_dir / "trùng.txt").symlink_to(outside)  # a link planted in the corpus
    nested = tmp_path / "tải lên" / "a" / "b"
    nested.mkdir(parents=True)
    files = {
        # Names a hostile client could send, as a file in the upload folder would carry them.
        "..\\..\\thoát ra.txt": article_file("Bài thoát ra", "Xã A có 11 thôn.", ".txt"),
        "C:\\Windows\\system32.txt": article_file("Bài Windows", "Xã B có 12 thôn.", ".txt"),
        "..%2f..%2fmã hóa.txt": article_file("Bài mã hóa", "Xã C có 13 thôn.", ".txt"),
        "trùng.txt": article_file("Bài trùng tên", "Xã D có 14 thôn.", ".txt"),
        "..\\": article_file("Không tên", "Xã E có 15 thôn.", ".txt"),
        "\\": article_file("Không tên", "Xã G có 16 thôn.", ".txt"),
    }
    paths = [str(write(nested, name, data)) for name, data in files.items()]
    write(nested.parent, "lên trên.txt", ARTICLE)
    paths.append(str(nested / ".." / "lên trên.txt"))  # a path handed over with `..` in it
    before = snapshot(tmp_path, corpus_dir, settings.index)

    rows, _, message = upload_articles(service, settings, paths)

    assert snapshot(tmp_path, corpus_dir, settings.index) == before
    assert outside.read_text() == "nội dung bên ngoài"
    saved = {
        "thoát ra.txt",
        "system32.txt",
        "%2f..%2fmã hóa.txt",
        "trùng (2).txt",
        "lên trên.txt",
    }
    assert {path.name for path in corpus_dir.iterdir()} == {
        "000_d06571e5afc15d7f.txt",
        "trùng.txt",
        *saved,
    }
    for name in saved:
        assert f"Đã lưu: {name}" in message
    assert "Không nhận ..\\: tên tệp không hợp lệ" in message
    assert "Không nhận \\: tên tệp không hợp lệ" in message
    assert saved < {row[4] for row in rows}  # and indexed under those names
