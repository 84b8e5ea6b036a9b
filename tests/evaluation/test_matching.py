"""Format-tolerant answer matching."""

import pytest

from assistant.evaluation.matching import answer_matches, states


@pytest.mark.parametrize(
    "got", ["27.350", "27,350", "27350", "27 350", "27\u00a0350", "là 27.350 người"]
)
def test_thousands_in_any_spelling(got):
    assert states("27.350", got)


@pytest.mark.parametrize("got", ["27.350", "27,350", "27350", "27 350"])
def test_any_spelling_of_the_expected_figure(got):
    assert states(got, "tổng số 27.350 người")


def test_spaced_groups_are_whole_numbers():
    assert states("1 234 567", "1.234.567 lượt")
    assert not states("27 350", "127 350")
    assert not states("27 350", "27 3501")


@pytest.mark.parametrize("got", ["127.350", "27.3501", "27,35", "2.735"])
def test_a_figure_matches_only_whole(got):
    assert not states("27.350", got)


@pytest.mark.parametrize("got", ["78.56 %", "78,56%", "đạt 78,56 phần trăm"])
def test_percents(got):
    assert states("78,56%", got)


@pytest.mark.parametrize("got", ["23/03/2022", "2022-03-23", "ngày 23 tháng 3 năm 2022"])
def test_dates(got):
    assert states("23/3/2022", got)


def test_text_is_compared_nfc_case_and_eth_insensitively():
    import unicodedata

    assert states("Kết luận số 21", unicodedata.normalize("NFD", "kết luận SỐ 21 của"))
    assert states("Ðảng", "đảng viên")
    assert not states("XII", "khóa XIII")  # whole words only
    assert states("Hoàng Hoài", "hoang hoai", fold=True)
    assert not states("Hoàng Hoài", "hoang hoai")


def test_any_or_all():
    assert answer_matches(["biên giới", "có đạo"], "vùng có đạo, biên giới")
    assert not answer_matches(["biên giới", "hải đảo"], "vùng biên giới")
    assert answer_matches(["biên giới", "hải đảo"], "vùng biên giới", match="any")


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("hơn 1,6 triệu", "1,6"),  # the magnitude word is part of the figure
        ("hơn 1,6 triệu", "1,6 triệu"),  # so is the qualifier the answer gives
        ("hơn 800 triệu USD", "hơn 800 triệu"),  # and the unit
        ("khoảng 40 công ty", "40"),
        ("2", "Theo bài “Giá xăng”: giá giảm [2]."),  # a citation marker is not a figure
        ("Kế hoạch số 21", "Kết luận số 21"),  # the words around a figure count
        ("30 lần", "30 ngày"),
    ],
)
def test_an_incomplete_or_different_answer_is_not_stated(expected, got):
    assert not states(expected, got)


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("hơn 1,6 triệu", "có hơn 1.600.000 lượt khám"),  # magnitude by value
        ("1,6 triệu", "1.600 nghìn"),
        ("54 tỉ đồng", "54 tỷ đồng [1]"),  # tỉ/tỷ are one word
        ("lí do", "Lý do"),
        ("5-10 mm", "lên đến 5-10 mm"),
        ("tháng 9/2022", "ngày 15/9/2022"),  # a day of the month states the month
        ("ngày 23/3/2022", "23 tháng 3 năm 2022"),
        ("Hà Nội", "tại Hà Nội, ông"),  # punctuation is not text
    ],
)
def test_the_same_answer_written_another_way_is_stated(expected, got):
    assert states(expected, got)


def test_a_month_does_not_state_a_day():
    assert not states("15/9/2022", "tháng 9/2022")
