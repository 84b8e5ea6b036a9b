"""Claim-level verification on invented articles of other domains (health, economy,
education): a figure must be in the sentence the citation quotes and count what the claim
says it counts; dates from the byline date only the article."""

from __future__ import annotations

from assistant.answering.verify import verify_reply
from assistant.retrieval.passage import Passage

HEALTH = (
    "Hiện Bệnh viện Đa khoa tỉnh Tây Hòa đang điều trị cho 84 bệnh nhân cúm, trong đó 6 ca "
    "phải thở máy. Từ ngày 2/1/2025 đến ngày 20/1/2025, sở đã tiêm 12.500 liều vắc xin."
)
ECONOMY = (
    "Năm 2024, xuất khẩu cà phê của tỉnh đạt 410 triệu USD, tăng 8,2%; hồ tiêu đạt 95 "
    "triệu USD, tăng 3,1%. Tỉnh đầu tư 60 tỷ đồng nâng cấp 14 km đường vào vùng nguyên liệu."
)
SCHOOL = (
    "Trường THPT Ngô Quyền có 100% học sinh tốt nghiệp và 72,4% học sinh đỗ đại học đợt 1. "
    "Theo Kế hoạch số 18 ngày 5/9/2024 thực hiện Chỉ thị số 7 ngày 12/8/2024 của Bộ, trường "
    "mở thêm 4 lớp chuyên."
)


def passage(text: str, article: str) -> Passage:
    return Passage(f"{article}#v#0", article, "Tin địa phương", "2025-02-03", text, 0,
                   len(text), 0.9, author="Lê Hà")  # fmt: skip


PASSAGES = [
    passage(HEALTH, "yte.txt"),
    passage(ECONOMY, "kinhte.txt"),
    passage(SCHOOL, "giaoduc.txt"),
]


def kept(reply: str) -> bool:
    return not verify_reply(reply, PASSAGES).dropped


def test_faithful_claims_and_paraphrases_are_kept():
    assert kept("Bệnh viện đang điều trị 84 bệnh nhân cúm [1].")
    assert kept("Có 6 ca phải thở máy [1].")
    assert kept("Từ 2/1/2025 đến 20/1/2025, sở tiêm được 12.500 liều vắc xin [1].")
    assert kept("Xuất khẩu hồ tiêu đạt 95 triệu USD [2].")
    assert kept("Xuất khẩu cà phê tăng 8,2% [2].")
    assert kept("Tỉnh đã đầu tư 60 tỷ đồng để nâng cấp đường [2].")
    assert kept("Trường Ngô Quyền có 72,4% học sinh đỗ đại học ngay đợt 1 [3].")
    assert kept("Kế hoạch số 18 được ban hành ngày 5/9/2024 [3].")
    assert kept("Bài viết được đăng ngày 3/2/2025 [1].")


def test_a_changed_figure_magnitude_unit_or_number_word_is_dropped():
    assert not kept("Bệnh viện đang điều trị 48 bệnh nhân cúm [1].")
    assert not kept("Xuất khẩu cà phê đạt 410 tỷ USD [2].")
    assert not kept("Tỉnh nâng cấp 14 ha đường vào vùng nguyên liệu [2].")
    assert not kept("Sở đã tiêm mười hai nghìn liều vắc xin [1].")


def test_a_figure_that_counts_something_else_is_dropped():
    assert not kept("Bệnh viện đang điều trị 6 bệnh nhân cúm [1].")  # 6 are on ventilators
    assert not kept("Hồ tiêu đạt 95 triệu USD, tăng 8,2% [2].")  # 8,2% is coffee's
    assert not kept("Xuất khẩu cà phê đạt 95 triệu USD [2].")


def test_dates_belong_to_their_own_event_and_the_byline_to_the_article():
    assert not kept("Kế hoạch số 18 được ban hành ngày 12/8/2024 [3].")  # the directive's date
    assert not kept("Kế hoạch số 18 được ban hành ngày 3/2/2025 [3].")  # the byline
    assert not kept("Đợt tiêm kéo dài từ ngày 2/1/2025 đến ngày 3/2/2025 [1].")


def test_a_citation_quotes_the_sentence_that_backs_the_claim():
    checked = verify_reply("Trường mở thêm 4 lớp chuyên [3].", PASSAGES)
    (citation,) = checked.citations
    assert "4 lớp chuyên" in citation.quote and "100%" not in citation.quote
    assert checked.short_answer == "4"


def test_roman_numerals_are_figures():
    text = "Đại hội Đảng bộ tỉnh lần thứ XVII diễn ra ngày 10/10/2025."
    passages = [passage(text, "dh.txt")]
    wrong = verify_reply("Đại hội lần thứ XVI diễn ra ngày 10/10/2025 [1].", passages)
    assert wrong.dropped and not wrong.citations
    assert verify_reply("Đại hội lần thứ XVII diễn ra ngày 10/10/2025 [1].", passages).dropped == ()
