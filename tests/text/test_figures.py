"""Figures as written: digits, number words, Roman numerals, magnitude, unit, dates."""

from __future__ import annotations

import pytest

from assistant.text.figures import figure_supported, find_figures


def read(text):
    return [(f.kind, f.text, f.value, f.unit) for f in find_figures(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("xuất khẩu đạt 1,6 triệu USD", [("number", "1,6 triệu USD", "1600000", "usd")]),
        ("vốn 350 tỷ đồng", [("number", "350 tỷ đồng", "350000000000", "đồng")]),
        ("27.350 nghìn người", [("number", "27.350 nghìn", "27350000", None)]),
        ("hai mươi nghìn liều vắc xin", [("number", "hai mươi nghìn", "20000", None)]),
        ("ba trăm hộ dân", [("number", "ba trăm", "300", None)]),
        ("một trăm linh năm học sinh", [("number", "một trăm linh năm", "105", None)]),
        ("trồng 1.200 ha rừng", [("number", "1.200 ha", "1200", "ha")]),
        ("tăng 12,5%", [("percent", "12,5%", "12.5", "%")]),
        ("Đại hội lần thứ XIV", [("roman", "XIV", "14", None)]),
        ("Quý IV", [("roman", "IV", "4", None)]),
        ("bổ sung vitamin C", []),
        ("hàng trăm bệnh nhân", [("vague", "hàng trăm", "hang tram", None)]),
        ("Quyết định số 1492", [("ordinal", "1492", "1492", None)]),
        ("theo báo cáo [7] của Bộ", []),
        ("năm 2024", [("date", "2024", "2024", None)]),
        ("giai đoạn 2021-2025", [("date", "2021", "2021", None), ("date", "2025", "2025", None)]),
        (
            "ngày 15/3 và tháng 5/2019",
            [("date", "15/3", "--03-15", None), ("date", "5/2019", "2019-05", None)],
        ),
        ("sở có năm phó giám đốc", [("number", "năm", "5", None)]),
        ("năm nay trường tuyển thêm lớp", []),
        ("đầu tư cho một số xã", []),
    ],
)
def test_figures_as_written(text, expected):
    assert read(text) == expected


def test_two_ways_of_writing_one_figure_support_each_other():
    (words,) = find_figures("hai mươi nghìn người")
    (digits,) = find_figures("20.000 người")
    assert figure_supported(words, digits) and figure_supported(digits, words)


def test_a_magnitude_or_a_unit_changes_the_figure():
    (plain,) = find_figures("9.416 người")
    (scaled,) = find_figures("9.416 nghìn người")
    (hectares,) = find_figures("1.200 ha")
    (tonnes,) = find_figures("1.200 tấn")
    assert not figure_supported(scaled, plain)
    assert not figure_supported(tonnes, hectares)


def test_a_month_or_year_claim_is_supported_by_a_date_in_it():
    (month,) = find_figures("tháng 3/2024")
    (year,) = find_figures("năm 2024")
    (day,) = find_figures("ngày 15/3")
    (full,) = find_figures("15/3/2024")
    assert figure_supported(month, full) and figure_supported(year, full)
    assert figure_supported(day, full)
    (other,) = find_figures("16/3/2024")
    assert not figure_supported(day, other)
