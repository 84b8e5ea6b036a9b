"""Tests of parsing articles: the seed .txt, Markdown with front matter, and HTML pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.corpus.parsing import (
    parse_date,
    parse_html,
    parse_markdown,
    parse_txt,
    strip_trailing_boilerplate,
)
from assistant.corpus.reader import parse_article_bytes, read_article
from assistant.errors import ArticleError
from assistant.text.normalize import normalize_text

SEED = Path(__file__).resolve().parents[2] / "corpus" / "000_d06571e5afc15d7f.txt"
SEED_TITLE = "Chủ động tham mưu tốt công tác tổ chức, xây dựng \u0110ảng"


@pytest.fixture(scope="module")
def seed():
    return parse_article_bytes(SEED.read_bytes(), Path(SEED.name))


def test_seed_title_uses_vietnamese_d(seed) -> None:
    assert seed.title == SEED_TITLE
    assert "\u00d0" not in seed.title
    assert "\u00d0" not in seed.body


def test_seed_byline(seed) -> None:
    assert seed.author == "Hoàng Hoài"
    assert seed.date == "2022-10-11"
    assert seed.time == "08:40"


def test_seed_body_starts_and_ends_with_the_article(seed) -> None:
    assert seed.body.startswith("Với tinh thần đoàn kết")
    assert seed.body.endswith("bảo đảm thời gian.")
    assert "27.350" in seed.body


@pytest.mark.parametrize("furniture", ["Bình luận", "Nổi bật", "Đừng bỏ lỡ", "POWERED BY"])
def test_seed_site_furniture_is_cut(seed, furniture: str) -> None:
    assert furniture not in seed.body


def test_seed_title_and_byline_not_in_body(seed) -> None:
    assert "Hoàng Hoài|" not in seed.body
    assert SEED_TITLE not in seed.body


def test_seed_id_and_hash(seed, tmp_path: Path) -> None:
    assert seed.id == "000_d06571e5afc15d7f.txt"
    assert re.fullmatch(r"[0-9a-f]{64}", seed.sha256)
    # Read from disk twice: the hash depends on content only.
    copy = tmp_path / SEED.name
    copy.write_bytes(SEED.read_bytes())
    first = read_article(copy, tmp_path, max_bytes=1_000_000)
    second = read_article(copy, tmp_path, max_bytes=1_000_000)
    assert first.sha256 == second.sha256 == seed.sha256


def test_txt_without_byline() -> None:
    parsed = parse_txt("Tiêu đề\n\nĐoạn một.\n\nĐoạn hai.", "a.txt")
    assert (parsed.title, parsed.author, parsed.date, parsed.time) == ("Tiêu đề", None, None, None)
    assert parsed.body == "Đoạn một.\n\nĐoạn hai."


def test_txt_byline_without_time() -> None:
    parsed = parse_txt("Tiêu đề\n\nTrần Văn An | 1/2/2023\n\nNội dung.", "a.txt")
    assert (parsed.author, parsed.date, parsed.time) == ("Trần Văn An", "2023-02-01", None)
    assert parsed.body == "Nội dung."


def test_txt_impossible_byline_date_names_the_file() -> None:
    with pytest.raises(ArticleError, match=re.escape("a.txt")):
        parse_txt("Tiêu đề\n\nAn| 31/02/2022 08:40\n\nNội dung.", "a.txt")


def test_boilerplate_in_the_middle_is_kept() -> None:
    text = "Tiêu đề\n\nĐoạn đầu.\nNổi bật\nBình luận\nĐoạn cuối.\n\n(3) Bình luận\nNổi bật"
    parsed = parse_txt(text, "a.txt")
    assert parsed.body == "Đoạn đầu.\nNổi bật\nBình luận\nĐoạn cuối."


def test_boilerplate_is_matched_as_whole_lines_only() -> None:
    body = "Đoạn đầu.\n\nBài viết nổi bật nhất năm"
    assert strip_trailing_boilerplate(body, "Tiêu đề") == body


def test_trailing_title_repeat_is_cut_even_with_eth() -> None:
    body = "Đoạn đầu.\n\nxây dựng \u00d0ảng"
    assert strip_trailing_boilerplate(body, "Xây dựng \u0110ảng") == "Đoạn đầu."


FRONT_MATTER = """---
title: "Chủ động tham mưu tốt công tác tổ chức, xây dựng Đảng"
author: Hoàng Hoài
date: {date}
source: https://example.vn/bai-viet
---

Với tinh thần đoàn kết, ngành đã hoàn thành nhiệm vụ.

Tổng số đảng viên là 27.350 người.
"""


@pytest.mark.parametrize("date", ["2022-10-11", '"11/10/2022"', "11/10/2022 08:40"])
def test_markdown_front_matter(date: str) -> None:
    parsed = parse_markdown(normalize_text(FRONT_MATTER.format(date=date)), "a.md")
    assert parsed.title == SEED_TITLE
    assert parsed.author == "Hoàng Hoài"
    assert parsed.date == "2022-10-11"
    assert parsed.source == "https://example.vn/bai-viet"
    assert parsed.body == (
        "Với tinh thần đoàn kết, ngành đã hoàn thành nhiệm vụ.\n\n"
        "Tổng số đảng viên là 27.350 người."
    )


def test_markdown_without_front_matter_takes_title_from_heading() -> None:
    text = "# Chủ động tham mưu\n\nĐoạn một.\n\n## Mục nhỏ\n\nĐoạn hai."
    parsed = parse_markdown(text, "a.md")
    assert parsed.title == "Chủ động tham mưu"
    assert (parsed.author, parsed.date, parsed.source) == (None, None, None)
    assert parsed.body == "Đoạn một.\n\n## Mục nhỏ\n\nĐoạn hai."


def test_markdown_front_matter_without_title_uses_heading() -> None:
    parsed = parse_markdown("---\nauthor: An\n---\n# Tiêu đề\n\nNội dung.", "a.md")
    assert (parsed.title, parsed.author, parsed.body) == ("Tiêu đề", "An", "Nội dung.")


@pytest.mark.parametrize(
    "front_matter",
    ["title: [không đóng\n", "title: a\n  bad: indent: here\n", "- chỉ\n- là danh sách\n"],
)
def test_markdown_bad_front_matter_names_the_file(front_matter: str) -> None:
    text = f"---\n{front_matter}---\n\nNội dung."
    with pytest.raises(ArticleError, match=re.escape("bài viết.md")):
        parse_markdown(text, "bài viết.md")


def test_markdown_bad_date_names_the_file() -> None:
    with pytest.raises(ArticleError, match=re.escape("a.md")):
        parse_markdown("---\ntitle: T\ndate: 45/13/2022\n---\nNội dung.", "a.md")


HTML = """<!DOCTYPE html>
<html>
<head>
  <title>Tiêu đề trong thẻ title | Báo Tỉnh</title>
  <meta name="author" content="Hoàng  Hoài">
  <meta property="article:published_time" content="2022-10-11T08:40:00+07:00">
  <meta property="og:url" content="https://example.vn/bai-viet">
  <style>.an { color: red } /* CSS-BÍ-MẬT */</style>
  <script>var x = "SCRIPT-TRONG-HEAD";</script>
</head>
<body>
  <nav><a href="/">Trang chủ</a></nav>
  <article>
    <h1>Chủ động tham mưu tốt công tác
        tổ chức, xây dựng Đảng</h1>
    <!-- COMMENT-BÍ-MẬT -->
    <p>Tổng số <b>đảng viên</b> toàn tỉnh là
       <strong>27.350</strong> người.</p>
    <p>Đến nay đạt tỷ lệ 78,56%.<br>Dòng thứ hai.</p>
    <script>document.write("SCRIPT-TRONG-BAI")</script>
    <style>p { margin: 0 } /* STYLE-TRONG-BAI */</style>
    <div hidden><p>HIDDEN-ATTR</p></div>
    <p style="color: red; display : none">DISPLAY-NONE</p>
    <span aria-hidden="true">ARIA-HIDDEN</span>
    <p style="visibility:hidden">VISIBILITY-HIDDEN</p>
    <noscript>NOSCRIPT-TEXT</noscript>
    <p>Nổi bật</p>
  </article>
</body>
</html>
"""


@pytest.fixture(scope="module")
def html_article():
    return parse_html(HTML, "bai.html")


@pytest.mark.parametrize(
    "invisible",
    [
        "SCRIPT",
        "CSS-BÍ-MẬT",
        "STYLE-TRONG-BAI",
        "COMMENT-BÍ-MẬT",
        "HIDDEN-ATTR",
        "DISPLAY-NONE",
        "ARIA-HIDDEN",
        "VISIBILITY-HIDDEN",
        "NOSCRIPT",
        "html",
    ],
)
def test_html_invisible_text_is_dropped(html_article, invisible: str) -> None:
    assert invisible not in html_article.body


def test_html_paragraphs_and_inline_markup(html_article) -> None:
    assert html_article.body == (
        "Tổng số đảng viên toàn tỉnh là 27.350 người.\n\nĐến nay đạt tỷ lệ 78,56%.\nDòng thứ hai."
    )


def test_html_title_from_h1(html_article) -> None:
    assert html_article.title == SEED_TITLE


def test_html_metadata(html_article) -> None:
    assert html_article.author == "Hoàng Hoài"
    assert html_article.date == "2022-10-11"
    assert html_article.source == "https://example.vn/bai-viet"


def test_html_trailing_title_repeat_cut_when_h1_spans_lines() -> None:
    html = (
        "<article><h1>Chủ động\n   tham mưu</h1><p>Nội dung bài.</p>"
        "<ul><li>Nổi bật</li><li>Chủ động tham mưu</li></ul></article>"
    )
    parsed = parse_html(html, "a.html")
    assert (parsed.title, parsed.body) == ("Chủ động tham mưu", "Nội dung bài.")


def test_html_title_from_title_tag_without_h1() -> None:
    html = "<html><head><title>Tiêu đề trang</title></head><body><p>Nội dung.</p></body></html>"
    parsed = parse_html(html, "a.html")
    assert (parsed.title, parsed.body) == ("Tiêu đề trang", "Nội dung.")


def test_html_body_without_article_or_body_tag() -> None:
    parsed = parse_html("<!DOCTYPE html><h1>Tiêu đề</h1><p>Nội dung.</p>", "a.html")
    assert (parsed.title, parsed.body) == ("Tiêu đề", "Nội dung.")


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ('<meta name="date" content="11/10/2022">', "2022-10-11"),
        ('<meta name="date" content="1/2/2022 08:40">', "2022-02-01"),
        ('<meta name="pubdate" content="2022-10-11">', "2022-10-11"),
    ],
)
def test_html_date_meta_formats(meta: str, expected: str) -> None:
    html = f"<html><head>{meta}</head><body><h1>T</h1><p>Nội dung.</p></body></html>"
    assert parse_html(html, "a.html").date == expected


def test_html_date_from_time_tag() -> None:
    html = '<article><h1>T</h1><time datetime="2022-10-11T08:40">11/10</time><p>x</p></article>'
    assert parse_html(html, "a.html").date == "2022-10-11"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11/10/2022", "2022-10-11"),
        ("1/2/2022 08:40", "2022-02-01"),
        ("2022-10-11", "2022-10-11"),
        ("2022-10-11T08:40:00+07:00", "2022-10-11"),
        (None, None),
        ("", None),
    ],
)
def test_parse_date(value: object, expected: str | None) -> None:
    assert parse_date(value, "a.txt") == expected


@pytest.mark.parametrize("value", ["31/02/2022", "hôm qua", "2022-13-01"])
def test_parse_date_rejects_impossible_dates(value: str) -> None:
    with pytest.raises(ArticleError, match=re.escape(f"a.txt: cannot read the date {value!r}")):
        parse_date(value, "a.txt")


def test_markdown_front_matter_keeps_its_yaml_indentation() -> None:
    text = (
        "---\ntitle: >\n  Báo cáo công tác\n  tổ chức năm 2022\nauthor: Hoàng Hoài\n"
        "tags:\n  - đảng viên\n---\n\n  Nội dung   bài viết.\n"
    )
    parsed = parse_markdown(text, "bai.md")
    assert parsed.title == "Báo cáo công tác tổ chức năm 2022"
    assert parsed.author == "Hoàng Hoài"
    assert parsed.body == "Nội dung bài viết."
