"""Complete answer spans, on sentences invented for several domains (health, economy,
education, local government), not the seed article's shapes."""

from __future__ import annotations

import pytest

from assistant.answering.spans import (
    date_spans,
    figure_spans,
    name_spans,
    org_spans,
    place_spans,
)


def texts(finder, sentence: str) -> list[str]:
    return [span.text for span in finder(sentence, 0, len(sentence))]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # economy: qualifier, magnitude and currency belong to the figure
        ("Kim ngạch xuất khẩu đạt hơn 800 triệu USD trong quý.", ["hơn 800 triệu USD"]),
        ("Cả nước có gần 1,6 triệu doanh nghiệp đang hoạt động.", ["gần 1,6 triệu doanh nghiệp"]),
        ("Thành phố thu hút khoảng 40 công ty nước ngoài.", ["khoảng 40 công ty"]),
        # health: a range with its unit, an age
        ("Sai số của kỹ thuật cũ lên đến 5-10 mm mỗi lần chiếu.", ["lên đến 5-10 mm"]),
        ("Trẻ từ 2-3 tháng tuổi cần được tiêm mũi đầu.", ["từ 2-3 tháng tuổi"]),
        ("Bệnh viện tiếp nhận chưa đến 300 ca mỗi ngày.", ["chưa đến 300 ca"]),
        # education: a unit of measure ends the figure, the thing measured does not belong
        ("Trường xây thêm 24,6 km đường nội bộ cho học sinh.", ["24,6 km"]),
        ("Tỷ lệ tốt nghiệp đạt 98,6% học sinh dự thi.", ["98,6%"]),
    ],
)
def test_a_figure_comes_with_what_completes_it(sentence, expected):
    assert texts(figure_spans, sentence) == expected


def test_a_fraction_is_two_figures_and_a_date_is_not_a_figure():
    sentence = "Đến ngày 30/6/2023, xã vận động được 120/200 hộ dân."
    assert texts(figure_spans, sentence) == ["120", "200 hộ dân"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Chiều 11/10, đoàn công tác đến thăm trường.", ["Chiều 11/10"]),
        ("Dự án khởi công từ tháng 5/2019 và xong cuối tháng 1 năm 2021.",
         ["tháng 5/2019", "cuối tháng 1 năm 2021"]),
        ("Ca bệnh đầu tiên được ghi nhận đầu năm 2020 tại Vũ Hán.", ["đầu năm 2020"]),
        ("Ngân hàng công bố kết quả quý II/2023 vào ngày 23/3/2024.",
         ["quý II/2023", "ngày 23/3/2024"]),
        ("Ngôi chùa được xây dựng vào thế kỷ XVI.", ["thế kỷ XVI"]),
    ],
)  # fmt: skip
def test_dates_as_news_write_them(sentence, expected):
    assert texts(date_spans, sentence) == expected


def test_a_measure_range_is_not_a_date():
    assert texts(date_spans, "Khối u nhỏ, chỉ 5-10 mm.") == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Phó Bí thư Huyện ủy Nguyễn Văn Hải chủ trì hội nghị.", ["Nguyễn Văn Hải"]),
        ("Ông Bình phát hiện bệnh cách đây 3 năm.", ["Bình"]),
        ("Theo bác sĩ Lâm Đức Hoàng, bệnh nhân đã ổn định.", ["Lâm Đức Hoàng"]),
        ("Hiệu trưởng Trần Thị Mai cho biết trường có 40 lớp.", ["Trần Thị Mai"]),
        # a title cut short is not a name, nor a place after its head noun
        ("Phó Chủ tịch UBND tỉnh làm việc tại huyện Ia H'Drai.", []),
        # abbreviations are never a name: a board, a reporter's byline
        ("Chủ tịch HĐQT Lê Minh Tuấn trả lời PV Tuổi Trẻ chiều qua.", ["Lê Minh Tuấn"]),
    ],
)
def test_person_names_without_titles_or_honorifics(sentence, expected):
    assert texts(name_spans, sentence) == expected


def test_organisations_from_their_head_noun():
    sentence = "Ủy ban Kiểm tra Huyện ủy Đắk Song đề nghị Bệnh viện Ung bướu TP HCM hỗ trợ."
    assert texts(org_spans, sentence) == [
        "Ủy ban Kiểm tra Huyện ủy Đắk Song",
        "Bệnh viện Ung bướu TP HCM",
    ]


def test_an_organisation_stops_where_a_person_s_name_begins():
    sentence = "Bí thư Tỉnh ủy Kon Tum Nguyễn Văn Hùng phát biểu."
    assert texts(org_spans, sentence) == ["Tỉnh ủy Kon Tum"]


def test_places_keep_their_head_noun():
    sentence = "Đoàn đã đến huyện Ia H'Drai và tỉnh Gia Lai trong tuần."
    assert texts(place_spans, sentence) == ["huyện Ia H'Drai", "tỉnh Gia Lai"]
