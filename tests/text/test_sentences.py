"""Tests of sentence and paragraph spans: numbers stay whole, offsets slice the input."""

from __future__ import annotations

import itertools

import pytest

from assistant.text.sentences import paragraph_spans, sentence_spans

ARTICLE = (
    "Tiêu đề bài viết\n"
    "\n"
    "Kế hoạch số 43 ngày 23/3/2022 đã được ban hành. Đến nay, toàn tỉnh đã có 1.352/1.719 "
    "chi bộ tổ chức đại hội (đạt tỷ lệ 78,56%). Tổng số đảng viên là 27.350 người!\n"
    "\n"
    "Đoàn công tác làm việc tại TP. Hồ Chí Minh. Có đúng vậy không? Vâng…  Kết thúc."
)


def sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text, start, end)]


@pytest.mark.parametrize("number", ["27.350", "78,56%", "23/3/2022", "1.352/1.719"])
def test_numbers_are_never_split(number: str) -> None:
    found = [sentence for sentence in sentences(ARTICLE) if number in sentence]
    assert len(found) == 1


def test_splits_after_dot_before_capital() -> None:
    assert sentences("Ngành đã hoàn thành nhiệm vụ. Nhiều chủ trương được cụ thể hóa.") == [
        "Ngành đã hoàn thành nhiệm vụ.",
        "Nhiều chủ trương được cụ thể hóa.",
    ]


def test_article_sentences() -> None:
    assert sentences(ARTICLE) == [
        "Tiêu đề bài viết",
        "Kế hoạch số 43 ngày 23/3/2022 đã được ban hành.",
        "Đến nay, toàn tỉnh đã có 1.352/1.719 chi bộ tổ chức đại hội (đạt tỷ lệ 78,56%).",
        "Tổng số đảng viên là 27.350 người!",
        "Đoàn công tác làm việc tại TP. Hồ Chí Minh.",
        "Có đúng vậy không?",
        "Vâng…",
        "Kết thúc.",
    ]


def test_number_at_sentence_end_then_next_sentence() -> None:
    assert sentences("Tổng số là 27.350. Tỷ lệ đạt 78,56%. Xong") == [
        "Tổng số là 27.350.",
        "Tỷ lệ đạt 78,56%.",
        "Xong",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Làm việc tại TP. Hồ Chí Minh.",
        "Ý kiến của PGS.TS. Nguyễn Văn An.",
        "Trụ sở ở Q. 1 và P. Bến Nghé.",
        "Ông Nguyễn Văn A. Trần là đại biểu.",
    ],
)
def test_abbreviations_and_initials_do_not_end_sentences(text: str) -> None:
    assert sentences(text) == [text]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mọi người đều đồng ý. Sau đó họ về.", ["Mọi người đều đồng ý.", "Sau đó họ về."]),
        ("Dạ, vâng ạ. Cảm ơn anh.", ["Dạ, vâng ạ.", "Cảm ơn anh."]),
        ("Tôi đã gặp ông. Ông nói vậy.", ["Tôi đã gặp ông.", "Ông nói vậy."]),
    ],
)
def test_short_vietnamese_words_can_end_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_closing_quote_stays_with_its_sentence() -> None:
    text = "Họ nói “tự diễn biến.” Sau đó thì khác."
    assert sentences(text) == ["Họ nói “tự diễn biến.”", "Sau đó thì khác."]


def test_each_span_slices_to_stripped_sentence() -> None:
    spans = sentence_spans(ARTICLE)
    assert spans
    for start, end in spans:
        piece = ARTICLE[start:end]
        assert piece == piece.strip()
        assert piece
    # Spans are in order and never overlap.
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        assert end <= next_start


def test_lines_inside_a_paragraph_are_sentences() -> None:
    assert sentences("Tham mưu xây dựng Đảng\nNội dung chính") == [
        "Tham mưu xây dựng Đảng",
        "Nội dung chính",
    ]


def test_blank_text_has_no_sentences() -> None:
    assert sentence_spans("") == []
    assert sentence_spans("  \n\n  ") == []


def test_paragraph_spans() -> None:
    text = "\n  Đoạn một.\nVẫn đoạn một.\n\nĐoạn hai.\n \n\n\nĐoạn ba.  \n"
    assert [text[a:b] for a, b in paragraph_spans(text)] == [
        "Đoạn một.\nVẫn đoạn một.",
        "Đoạn hai.",
        "Đoạn ba.",
    ]


def test_paragraph_spans_of_text_without_breaks() -> None:
    assert paragraph_spans("Một đoạn. Hai câu.") == [(0, 18)]
    assert paragraph_spans("") == []


def test_spans_are_absolute_within_a_range() -> None:
    paragraphs = paragraph_spans(ARTICLE)
    start, end = paragraphs[2]
    spans = sentence_spans(ARTICLE, start, end)
    assert [ARTICLE[a:b] for a, b in spans] == [
        "Đoàn công tác làm việc tại TP. Hồ Chí Minh.",
        "Có đúng vậy không?",
        "Vâng…",
        "Kết thúc.",
    ]
    assert spans[0][0] == start
    assert spans[-1][1] == end


def test_range_ending_mid_text_stops_there() -> None:
    text = "Câu một. Câu hai. Câu ba."
    end = text.index(" Câu ba")
    assert [text[a:b] for a, b in sentence_spans(text, 0, end)] == ["Câu một.", "Câu hai."]
    start = text.index("Câu hai")
    assert sentence_spans(text, start) == [(start, start + 8), (start + 9, len(text))]
