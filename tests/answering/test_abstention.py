"""When the extractive reader answers and when it says it found nothing, on invented
articles from health, economy and education news (not the seed article's shapes)."""

from __future__ import annotations

import pytest

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.question import analyse
from tests.answering.passages import article_from_text, best_passages, passages_of

HEALTH = """Bệnh viện Đa khoa tỉnh Quảng Trị giảm tải nhờ kỹ thuật mới

Lê Hà| 04/03/2024 08:00

Năm 2023, Bệnh viện Đa khoa tỉnh Quảng Trị tiếp nhận hơn 250.000 lượt khám, \
tăng 12% so với năm trước.

Bác sĩ Nguyễn Thị Thu, Giám đốc bệnh viện, cho biết thời gian chờ khám giảm còn khoảng \
40 phút nhờ hệ thống đặt lịch trực tuyến.

Nguyên nhân quá tải trước đây là do thiếu bác sĩ chuyên khoa, đặc biệt ở khoa Nhi.
"""

ECONOMY = """Đà Nẵng thu hút đầu tư nước ngoài

Phan Vũ| 12/01/2024 10:30

Trong năm 2023, thành phố Đà Nẵng thu hút hơn 800 triệu USD vốn đầu tư trực tiếp nước ngoài.

Khu công nghệ cao Đà Nẵng đón thêm khoảng 40 công ty, chủ yếu trong lĩnh vực bán dẫn.

Cùng kỳ, tỉnh Quảng Nam chỉ thu hút được 150 triệu USD.
"""

EDUCATION = """Trường THPT Lý Tự Trọng đạt tỷ lệ tốt nghiệp cao

Võ Minh| 20/07/2023 16:45

Kỳ thi năm 2023, Trường THPT Lý Tự Trọng có 98,6% học sinh đỗ tốt nghiệp.

Hiệu trưởng Trần Văn Nam cho biết trường đã tổ chức 120 buổi ôn tập miễn phí từ tháng 3/2023.
"""


@pytest.fixture(scope="module")
def passages():
    articles = [article_from_text(text, f"{n}.txt") for n, text in
                enumerate((HEALTH, ECONOMY, EDUCATION))]  # fmt: skip
    return passages_of(*articles)


def ask(question, passages):
    read = analyse(question)
    return ExtractiveAnswerer().answer(read, best_passages(read, passages))


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("Năm 2023 bệnh viện tiếp nhận bao nhiêu lượt khám?", "hơn 250.000 lượt khám"),
        ("Đà Nẵng thu hút bao nhiêu vốn đầu tư nước ngoài năm 2023?", "hơn 800 triệu USD"),
        ("Khu công nghệ cao đón thêm bao nhiêu công ty?", "khoảng 40 công ty"),
        ("Tỷ lệ học sinh đỗ tốt nghiệp của trường là bao nhiêu?", "98,6%"),
        ("Ai là hiệu trưởng trường Lý Tự Trọng?", "Trần Văn Nam"),
        ("Trường tổ chức ôn tập miễn phí từ khi nào?", "tháng 3/2023"),
        ("Vì sao bệnh viện quá tải trước đây?", "do thiếu bác sĩ chuyên khoa"),
    ],
)
def test_answered_in_other_words_with_a_complete_span(passages, question, short):
    answer = ask(question, passages)
    assert not answer.abstained, answer
    assert short in answer.short_answer


@pytest.mark.parametrize(
    "question",
    [
        # A place the articles do not report on, though they give the same kind of figure.
        "Năm 2023 tỉnh Bình Định thu hút bao nhiêu vốn đầu tư nước ngoài?",
        "Bệnh viện Chợ Rẫy tiếp nhận bao nhiêu lượt khám năm 2023?",
        # Nothing in the articles is about this at all.
        "Giá xăng hôm nay là bao nhiêu?",
        "Ai là huấn luyện viên đội tuyển bóng đá quốc gia?",
    ],
)
def test_near_misses_and_unrelated_questions_are_not_answered(passages, question):
    answer = ask(question, passages)
    assert answer.abstained, answer
    assert answer.citations == ()


def test_the_dense_gate_refuses_evidence_the_model_finds_unlike_the_question(passages):
    import dataclasses

    read = analyse("Khu công nghệ cao đón thêm bao nhiêu công ty?")
    found = best_passages(read, passages)
    near = [dataclasses.replace(p, scores={"dense": 0.7}) for p in found]
    far = [dataclasses.replace(p, scores={"dense": 0.4}) for p in found]
    gated = ExtractiveAnswerer(min_dense=0.6)
    assert not gated.answer(read, near).abstained
    assert gated.answer(read, far).abstained
    # Off (0) by default: a cosine means something only for the model it was chosen for.
    assert not ExtractiveAnswerer().answer(read, far).abstained


def test_the_dense_gate_applies_to_the_model_it_was_chosen_for_only():
    from assistant.config import load_settings
    from assistant.wiring import dense_gate

    assert dense_gate(load_settings(answer={"min_dense": 0.6})) == 0.6
    hashing = load_settings(answer={"min_dense": 0.6}, embedding={"backend": "hashing"})
    int8 = load_settings(answer={"min_dense": 0.6}, embedding={"variant": "int8"})
    assert dense_gate(hashing) == 0.0 and dense_gate(int8) == 0.0
