"""The extractive answerer on real and invented articles, without retrieval in the way."""

import pytest

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.question import analyse
from assistant.answering.types import NOT_FOUND
from assistant.text.quantities import find_quantities
from tests.answering.passages import (
    article_from_file,
    article_from_text,
    best_passages,
    passages_of,
)
from tests.conftest import SEED

INVENTED = """Huyện Đồng Xuân đẩy mạnh phát triển đảng viên

Trần Minh| 02/05/2023 09:15

Năm 2023, Huyện ủy Đồng Xuân ban hành Nghị quyết số 12 ngày 14/2/2023 về phát triển đảng viên.

Tính đến 30/6/2023, toàn huyện kết nạp được 120/200 đảng viên mới, đạt 60% chỉ tiêu, \
nâng tổng số đảng viên của huyện lên 5.432 người.

Đại hội các chi bộ nhiệm kỳ 2023-2026 hoàn thành trước ngày 31/3/2023, với 96,5% chi bộ đạt yêu cầu.
"""


@pytest.fixture(scope="module")
def seed_passages():
    return passages_of(article_from_file(SEED))


@pytest.fixture(scope="module")
def invented_passages():
    return passages_of(article_from_text(INVENTED))


def ask(question, passages):
    read = analyse(question)
    return ExtractiveAnswerer().answer(read, best_passages(read, passages))


@pytest.mark.parametrize(
    ("question", "short", "reply"),
    [
        (
            "Tổng số đảng viên toàn tỉnh là bao nhiêu?",
            "27.350 người",
            "Tổng số đảng viên toàn tỉnh là 27.350 người [1].",
        ),
        (
            "Tính đến 15/9/2022, toàn tỉnh kết nạp được bao nhiêu đảng viên mới?",
            "344",
            "Tính đến 15/9/2022, toàn tỉnh kết nạp được 344 đảng viên mới [1].",
        ),
        ("Chỉ tiêu kết nạp đảng viên mới mà tỉnh đăng ký là bao nhiêu?", "629 đảng viên", None),
        ("Tỷ lệ chi bộ đã tổ chức đại hội là bao nhiêu?", "78,56%", None),
        (
            "Kế hoạch số 43 của Ban Thường vụ Tỉnh ủy được ban hành ngày nào?",
            "ngày 23/3/2022",
            "Kế hoạch số 43 của Ban Thường vụ Tỉnh ủy được ban hành ngày 23/3/2022 [1].",
        ),
        ("Kết luận số 21 là của Ban Chấp hành Trung ương Đảng khóa mấy?", "khóa XIII", None),
        ("tong so dang vien toan tinh la bao nhieu", "27.350 người", None),
        ("How many Party members does the province have in total?", "27.350 người", None),
    ],
)
def test_seed_questions(seed_passages, question, short, reply):
    answer = ask(question, seed_passages)
    assert not answer.abstained
    assert answer.short_answer == short
    if reply:
        assert answer.text == reply


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("Tổng số đảng viên của huyện là bao nhiêu?", "5.432 người"),
        ("Toàn huyện kết nạp được bao nhiêu đảng viên mới?", "120"),
        ("Chỉ tiêu kết nạp đảng viên mới là bao nhiêu?", "200 đảng viên"),
        ("Việc kết nạp đạt bao nhiêu phần trăm chỉ tiêu?", "60%"),
        ("Nghị quyết số 12 được ban hành ngày nào?", "ngày 14/2/2023"),
        ("Đại hội các chi bộ là của nhiệm kỳ nào?", "nhiệm kỳ 2023-2026"),
        ("Ai là tác giả bài viết về phát triển đảng viên ở Đồng Xuân?", "Trần Minh"),
        ("Bài viết về huyện Đồng Xuân được đăng ngày nào?", "2/5/2023"),
    ],
)
def test_an_invented_article_is_read_the_same_way(invented_passages, question, short):
    answer = ask(question, invented_passages)
    assert not answer.abstained, answer
    assert answer.short_answer == short


def test_citations_quote_the_article_verbatim(seed_passages):
    body = article_from_file(SEED).body
    for question in (
        "Tổng số đảng viên toàn tỉnh là bao nhiêu?",
        "Phát triển đảng viên mới được chú trọng ở những vùng, khu vực nào?",
        "Kế hoạch số 03 của Bộ Chính trị ban hành ngày nào?",
    ):
        answer = ask(question, seed_passages)
        [citation] = answer.citations
        assert body[citation.start : citation.end] == citation.quote
        assert answer.short_answer in citation.quote


def test_every_figure_in_a_reply_is_in_its_source(seed_passages):
    for question in (
        "Có bao nhiêu chi bộ đã tổ chức đại hội?",
        "Tính đến 15/9/2022, toàn tỉnh kết nạp được bao nhiêu đảng viên mới?",
        "Việc kết nạp đảng viên mới đạt khoảng bao nhiêu phần trăm chỉ tiêu?",
    ):
        answer = ask(question, seed_passages)
        quote = answer.citations[0].quote
        stated = {q.key for q in find_quantities(quote)}
        reply = answer.text.replace("[1]", "")
        assert {q.key for q in find_quantities(reply)} <= stated


def test_metadata_answers_cite_the_byline(seed_passages):
    answer = ask("Ai là tác giả bài viết về công tác tổ chức xây dựng Đảng?", seed_passages)
    assert answer.short_answer == "Hoàng Hoài"
    assert answer.citations[0].field == "author"
    assert answer.citations[0].start is None


@pytest.mark.parametrize(
    "question",
    [
        "Năm 2022 tỉnh đã kỷ luật bao nhiêu đảng viên?",
        "Tổng thu ngân sách của tỉnh năm 2022 là bao nhiêu?",
        "Giá vàng hôm nay là bao nhiêu?",
        "Ai là huấn luyện viên đội tuyển bóng đá quốc gia?",
    ],
)
def test_it_abstains_when_the_articles_do_not_say(seed_passages, question):
    answer = ask(question, seed_passages)
    assert answer.abstained
    assert answer.text == NOT_FOUND
    assert answer.citations == ()


def test_no_passages_means_no_answer():
    answer = ExtractiveAnswerer().answer(analyse("Tổng số đảng viên là bao nhiêu?"), [])
    assert answer.abstained
