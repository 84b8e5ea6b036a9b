"""Rendering answers for the web app: links, highlights, and nothing hostile rendered."""

from assistant.answering.types import NOT_FOUND, Answer, Citation, abstention
from assistant.ui.render import (
    UNVERIFIED,
    VERIFIED,
    article_html,
    paragraph_span,
    reply_markdown,
    sources_html,
)

BODY = (
    "Đoạn đầu.\n\nTính đến 15/9/2022, toàn tỉnh kết nạp được 344 đảng viên mới, nâng tổng số "
    "lên 27.350 người. <script>alert(1)</script> ![x](http://evil.example/p.png)\n\nĐoạn cuối."
)
QUOTE_START = BODY.index("Tính đến")
QUOTE_END = BODY.index(" <script>")


def citation(**changes):
    fields = dict(
        n=1, article_id="a.txt", title="Tiêu đề <b>đậm</b>", date="2022-10-11",
        quote=BODY[QUOTE_START:QUOTE_END], start=QUOTE_START, end=QUOTE_END, score=0.9,
        author="Hoàng Hoài",
    )  # fmt: skip
    fields.update(changes)
    return Citation(**fields)


def answer(text="Tổng số đảng viên là 27.350 người [1].", **changes):
    return Answer("q", text, "27.350", False, [citation()], **changes)


def test_markers_link_to_their_source_and_markdown_is_inert():
    reply = reply_markdown(answer("Có 27.350 người [1]. ![x](http://evil.example/p.png) <b>"))
    assert "[[1]](#nguon-1)" in reply
    assert "![x](http" not in reply and "<b>" not in reply
    assert "\\!\\[x\\]" in reply


def test_a_reply_shows_its_short_answer_sources_and_verification():
    reply = reply_markdown(answer())
    assert "**Trả lời ngắn:** 27\\.350" in reply
    assert "**Nguồn:** [[1]](#nguon-1) Tiêu đề \\<b\\>đậm\\</b\\> (11/10/2022)" in reply
    assert reply.endswith(VERIFIED)
    unsourced = reply_markdown(Answer("q", "Có 27.350 người.", None, False, []))
    assert unsourced.endswith(UNVERIFIED) and "Trả lời ngắn" not in unsourced
    silent = reply_markdown(abstention("q"))
    assert "Trả lời ngắn" not in silent and "kiểm chứng" not in silent


def test_an_abstention_looks_different_and_notes_show():
    assert reply_markdown(abstention("q")).startswith("⚠️ *")
    assert NOT_FOUND.split()[0] in reply_markdown(abstention("q"))
    noted = reply_markdown(answer(notes=["Đã bỏ 1 ý."]))
    assert "*Lưu ý: Đã bỏ 1 ý\\.*" in noted


def test_the_quote_is_highlighted_inside_its_paragraph_and_escaped():
    panel = sources_html(answer(), {"a.txt": BODY})
    assert '<div class="nguon" id="nguon-1">' in panel
    assert "<mark>Tính đến 15/9/2022" in panel
    assert "&lt;script&gt;" in panel and "<script>" not in panel
    quote_part, whole_article = panel.split("<details>")
    assert "Đoạn đầu" not in quote_part and "Đoạn cuối" not in quote_part  # its paragraph
    assert "Xem toàn bài" in whole_article and "Đoạn đầu" in whole_article
    assert "<mark>Tính đến" in whole_article and "<script>" not in whole_article
    assert "Tiêu đề &lt;b&gt;đậm&lt;/b&gt;" in panel
    assert "11/10/2022 · Hoàng Hoài" in panel


def test_a_changed_article_shows_the_indexed_quote_and_metadata_citations_show_their_field():
    panel = sources_html(answer(), {"a.txt": "Bài đã sửa."})
    assert "<mark>Tính đến 15/9/2022" in panel
    author = citation(field="author", quote="Hoàng Hoài", start=None, end=None)
    panel = sources_html(Answer("q", "Hoàng Hoài [1].", "Hoàng Hoài", False, [author]), {})
    assert "Tác giả: <mark>Hoàng Hoài</mark>" in panel


def test_no_sources_for_an_abstention():
    assert "Không có nguồn" in sources_html(abstention("q"), {})


def test_paragraph_span_and_whole_article():
    lo, hi = paragraph_span(BODY, QUOTE_START, QUOTE_END)
    assert BODY[lo:hi].startswith("Tính đến") and BODY[lo:hi].endswith(".png)")
    whole = article_html("T", BODY, QUOTE_START, QUOTE_END)
    assert "Đoạn đầu" in whole and "<mark>" in whole and "<script>" not in whole


def test_a_marker_naming_no_citation_and_a_bare_url_stay_text():
    reply = reply_markdown(answer("Có 27.350 người [1], xem [7] tại https://evil.example/x."))
    assert "[[1]](#nguon-1)" in reply and "#nguon-7" not in reply
    assert "\\[7\\]" in reply  # shown as written, linked to nothing
    assert "https\\://evil\\.example/x\\." in reply  # GFM would have linked `https://…`
