"""Reading what a question asks for, with and without diacritics, and in English."""

import pytest

from assistant.answering.question import analyse
from assistant.answering.terms import tone_key


@pytest.mark.parametrize(
    ("question", "kind", "wh"),
    [
        ("Tổng số đảng viên toàn tỉnh là bao nhiêu?", "number", "bao nhiêu"),
        ("tong so dang vien toan tinh la bao nhieu", "number", "bao nhieu"),
        ("Việc kết nạp đạt khoảng bao nhiêu phần trăm chỉ tiêu?", "percent", "bao nhiêu phần trăm"),
        ("Tỷ lệ chi bộ đã tổ chức đại hội là bao nhiêu?", "percent", "bao nhiêu"),
        ("Còn tỷ lệ thì sao?", "percent", None),
        ("Kế hoạch số 43 được ban hành ngày nào?", "date", "ngày nào"),
        ("Hội nghị diễn ra khi nào?", "date", "khi nào"),
        ("Kế hoạch thực hiện kết luận nào của Trung ương?", "named", "kết luận nào"),
        ("Ban Chấp hành Trung ương Đảng khóa mấy?", "named", "khóa mấy"),
        ("Đại hội là của nhiệm kỳ nào?", "named", "nhiệm kỳ nào"),
        ("Ai là tác giả bài viết về công tác cán bộ?", "author", "Ai"),
        ("Bài viết về công tác cán bộ được đăng ngày nào?", "published", "ngày nào"),
        ("Ai được bầu làm Bí thư Tỉnh ủy?", "person", "Ai"),
        ("Phát triển đảng viên được chú trọng ở những vùng nào?", "list", "nào"),
        ("Công tác cán bộ được thực hiện ra sao?", "sentence", None),
        ("How many Party members does the province have in total?", "number", None),
        ("Năm 2022 tỉnh đã kỷ luật bao nhiêu đảng viên?", "number", "bao nhiêu"),
    ],
)
def test_the_answer_type_and_the_question_word(question, kind, wh):
    read = analyse(question)
    assert read.kind == kind
    spanned = read.text[read.wh_span[0] : read.wh_span[1]] if read.wh_span else None
    assert spanned == wh


def exact(words):
    return " ".join(tone_key(word) for word in words.split())


def test_terms_keep_diacritics_are_weighted_and_paired():
    read = analyse("Tổng số đảng viên toàn tỉnh là bao nhiêu?")
    assert read.exact
    assert {exact(w) for w in ("tổng", "đảng", "viên", "toàn", "tỉnh")} <= set(read.terms)
    assert {exact(w) for w in ("tổng số", "đảng viên", "toàn tỉnh")} <= set(read.terms)
    assert not {exact(w) for w in ("là", "bao", "nhiêu", "bao nhiêu")} & set(read.terms)
    # "kỷ luật" is not "nhiệm kỳ": with diacritics typed, they are kept apart
    assert exact("kỷ") in analyse("kỷ luật bao nhiêu?").terms
    assert exact("kỳ") not in analyse("kỷ luật bao nhiêu?").terms


def test_old_and_new_tone_placement_agree():
    assert tone_key("hoá") == tone_key("hóa") and tone_key("thuỷ") == tone_key("thủy")
    assert tone_key("kỷ") != tone_key("kỳ")


def test_the_question_word_is_not_a_term():
    read = analyse("Việc kết nạp đạt bao nhiêu phần trăm chỉ tiêu?")
    assert exact("phần") not in read.terms and exact("trăm") not in read.terms
    dated = analyse("Tính đến 15/9/2022 kết nạp được bao nhiêu?")
    assert dated.terms["date:2022-09-15"] == 3.0


def test_unaccented_and_nfd_questions_read_like_the_accented_one():
    import unicodedata

    accented = analyse("Tổng số Đảng viên toàn tỉnh là bao nhiêu?")
    decomposed = analyse(unicodedata.normalize("NFD", "Tổng số Ðảng viên toàn tỉnh là bao nhiêu?"))
    assert decomposed.terms == accented.terms
    unaccented = analyse("tong so dang vien toan tinh la bao nhieu")
    assert not unaccented.exact
    assert {"tong so", "dang vien", "toan tinh"} <= set(unaccented.terms)


def test_english_questions_are_searched_with_vietnamese_terms():
    read = analyse("How many Party members does the province have in total?")
    assert read.english
    assert {exact("đảng viên"), exact("tỉnh"), exact("tổng số")} <= set(read.terms)
    assert "đảng viên" in read.search_text
    unknown = analyse("How many Party members were expelled in 2022?")
    assert "enexpelled" in unknown.terms  # a word the glossary lacks still has to be found


def test_counted_noun_and_whole_or_part():
    assert analyse("Có bao nhiêu chi bộ đã tổ chức đại hội?").counted == "chi bo"
    assert analyse("Tổng số đảng viên là bao nhiêu?").counted is None
    assert analyse("Chỉ tiêu kết nạp là bao nhiêu?").wants_whole
    assert analyse("Bao nhiêu chi bộ phải tổ chức đại hội?").wants_whole
    assert not analyse("Có bao nhiêu chi bộ đã tổ chức đại hội?").wants_whole


def test_follow_ups_are_recognised_and_carry_terms():
    assert analyse("Con số đó đạt bao nhiêu phần trăm chỉ tiêu?").is_follow_up
    assert analyse("Còn tỷ lệ thì sao?").is_follow_up
    assert not analyse("Tổng số đảng viên toàn tỉnh là bao nhiêu?").is_follow_up
    first = analyse("Có bao nhiêu chi bộ đã tổ chức đại hội?")
    follow = analyse("Còn tỷ lệ thì sao?", first)
    assert follow.terms[exact("chi bộ")] == first.terms[exact("chi bộ")] * 0.5
    unaccented = analyse("con ty le thi sao", first)
    assert unaccented.terms["chi bo"] == 0.25  # a pair (0.5), carried at half weight, folded
