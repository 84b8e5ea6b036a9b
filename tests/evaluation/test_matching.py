"""Format-tolerant answer matching."""

import pytest

from assistant.evaluation.matching import answer_matches, states


@pytest.mark.parametrize(
    "got", ["27.350", "27,350", "27350", "27 350", "27\u00a0350", "là 27.350 người"]
)
def test_thousands_in_any_spelling(got):
    assert states("27.350", got)
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
