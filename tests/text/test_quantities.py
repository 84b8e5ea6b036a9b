"""Numbers, percents and dates as Vietnamese reports write them."""

import pytest

from assistant.text.quantities import find_quantities, number_value, quantity_keys, supports


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("27.350", "27350"),
        ("27,350", "27350"),
        ("27350", "27350"),
        ("1.000.000", "1000000"),
        ("78,56", "78.56"),
        ("78.56", "78.56"),
        ("3,5", "3.5"),
        ("03", "3"),
        ("2,50", "2.5"),
    ],
)
def test_number_values_follow_the_vietnamese_convention(written, value):
    assert number_value(written) == value


def _found(text):
    return [(q.kind, q.text, q.value) for q in find_quantities(text)]


def test_the_seed_sentence_reads_as_its_figures():
    text = (
        "Tính đến 15/9/2022, toàn tỉnh kết nạp được 344/629 đảng viên mới, đạt khoảng 55% "
        "tổng số chỉ tiêu đăng ký, nâng tổng số đảng viên trong toàn tỉnh lên 27.350 người."
    )
    assert _found(text) == [
        ("date", "15/9/2022", "2022-09-15"),
        ("number", "344", "344"),
        ("number", "629", "629"),
        ("percent", "55%", "55"),
        ("number", "27.350", "27350"),
    ]


@pytest.mark.parametrize(
    "written",
    ["23/3/2022", "23/03/2022", "2022-03-23", "ngày 23 tháng 3 năm 2022", "23 tháng 3/2022"],
)
def test_every_way_of_writing_a_date_has_one_value(written):
    assert _found(f"Ban hành {written}.") == [("date", written, "2022-03-23")]


def test_percent_forms_and_offsets():
    text = "đạt tỷ lệ 78,56%, rồi 78.56 %, rồi 55 phần trăm"
    found = find_quantities(text)
    assert [(q.kind, q.value) for q in found] == [
        ("percent", "78.56"),
        ("percent", "78.56"),
        ("percent", "55"),
    ]
    assert all(text[q.start : q.end] == q.text for q in found)


def test_ranges_fractions_and_month_dates():
    assert _found("nhiệm kỳ 2022-2025") == [
        ("number", "2022", "2022"),
        ("number", "2025", "2025"),
    ]
    assert _found("có 1.352/1.719 chi bộ") == [
        ("number", "1.352", "1352"),
        ("number", "1.719", "1719"),
    ]
    assert _found("trong tháng 9/2022") == [("date", "9/2022", "2022-09")]


def test_a_number_is_never_found_inside_a_longer_one():
    assert quantity_keys("có 127.350 người") == {"number:127350"}
    assert "number:27350" not in quantity_keys("có 127.350 người")
    assert "number:350" not in quantity_keys("có 27.350 người")


def test_support_needs_the_same_kind_and_value():
    evidence = quantity_keys("Kế hoạch số 43 ngày 23/3/2022; 15/9/2022 đạt 55%")
    date, count, percent, month = find_quantities("23/03/2022 23 55% tháng 9/2022")
    assert supports(date, evidence)
    assert not supports(count, evidence)  # the day of a date is not a count
    assert supports(percent, evidence)
    assert supports(month, evidence)  # a month is stated by a date inside it
    assert not supports(find_quantities("10.000")[0], evidence)
