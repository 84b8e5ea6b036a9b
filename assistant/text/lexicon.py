"""General Vietnamese word lists the reader relies on, each saying what it covers.

Written by hand: they are closed classes of the language (question words, magnitude words,
qualifiers of a figure, parts of the day, titles and honorifics, the head nouns of
organisation and place names), found in any grammar or style guide, not vocabulary of a
topic. Nothing here was taken from a question set; a list that grows to fit particular
questions is a defect. Entries are lower-case NFC; `folded()` gives the unaccented forms.

Not here: how the lists are used (`assistant.answering`), number parsing (`quantities.py`).
"""

from __future__ import annotations

from functools import cache

from assistant.text.normalize import fold_diacritics


def _words(text: str) -> frozenset[str]:
    return frozenset(word.strip() for word in text.split("|") if word.strip())


# Words that scale the number before them: "1,6 triệu", "hơn 800 tỷ đồng".
MAGNITUDES = _words("nghìn|ngàn|vạn|triệu|tỷ|tỉ")

# Words before a figure that are part of what it says: "hơn 1,6 triệu", "khoảng 40 công ty".
QUALIFIERS = _words(
    "hơn|gần|khoảng|trên|dưới|chưa đến|chưa tới|tới|lên tới|lên đến|đến|xấp xỉ|ít nhất|"
    "tối thiểu|tối đa|gần như|ước tính|chừng|hàng|vài|tròn|đúng|chỉ|hầu hết|gần hết|"
    "không quá|không dưới|từ|thứ|hạng"
)

# Cardinal number words: "hai mươi", "ba trăm", "một nửa".
NUMBER_WORDS = _words(
    "một|hai|ba|bốn|tư|năm|sáu|bảy|bẩy|tám|chín|mười|mươi|mốt|lăm|nhăm|trăm|linh|lẻ|nửa|rưỡi"
)

# Function words: never a counted noun, never a content term of a question.
FUNCTION_WORDS = _words(
    "là|của|và|có|được|đã|sẽ|đang|các|những|cho|với|trong|về|theo|thì|mà|này|đó|ấy|kia|để|"
    "từ|tại|ở|bị|do|vì|nên|khi|nếu|như|so|cũng|còn|vẫn|rằng|lại|ra|vào|lên|xuống|qua|"
    "hay|hoặc|nhưng|tuy|mỗi|mọi|cả|chỉ|rất|đều|không|chưa|một số|nhiều|ít|này|nọ|thế|vậy|"
    "bởi|trước|sau|giữa|ngoài|trên|dưới|hơn|nhất|đây|kể|nữa|với|cùng|thêm|gồm|bao gồm"
)

# Question words by the kind of answer they ask for. Matched as whole words.
ASK_NUMBER = _words("bao nhiêu|mấy|số lượng|bao lâu|bao xa")
ASK_PERCENT = _words("bao nhiêu phần trăm|bao nhiêu %|tỷ lệ|tỉ lệ|phần trăm")
ASK_DATE = _words(
    "khi nào|bao giờ|lúc nào|hồi nào|thời điểm nào|thời gian nào|ngày nào|hôm nào|tháng nào|"
    "năm nào|ngày bao nhiêu|ngày mấy|tháng mấy|năm mấy|thời gian nào|giai đoạn nào|dịp nào"
)
ASK_PERSON = _words("ai|người nào|những ai|vị nào")
ASK_PLACE = _words("ở đâu|đâu|nơi nào|chỗ nào|địa phương nào|tỉnh nào|huyện nào|xã nào|"
                   "thành phố nào|nước nào|quốc gia nào|vùng nào|khu vực nào")  # fmt: skip
ASK_REASON = _words("vì sao|tại sao|do đâu|vì lý do gì|lý do|nguyên nhân")
ASK_MANNER = _words("như thế nào|thế nào|ra sao|bằng cách nào|làm sao|làm gì")
ASK_WHAT = _words("gì|nào|cái gì|điều gì|việc gì")

# English question words (a user may ask in English; the articles are Vietnamese).
ENGLISH_ASK = {
    "percent": ("what percentage", "what percent", "what share", "what proportion", "what rate"),
    "number": ("how many", "how much", "how long", "how far", "how old", "what number"),
    "date": ("when", "what date", "which date", "what year", "which year", "what day"),
    "person": ("who", "whom", "whose"),
    "place": ("where", "which province", "which country", "which district", "which city"),
    "sentence": ("why", "how", "what", "which"),
}
ENGLISH_FUNCTION = _words(
    "the|a|an|of|in|on|to|for|does|do|did|is|are|was|were|be|been|have|has|had|how|many|"
    "much|what|which|who|whom|whose|when|where|why|that|this|these|those|with|by|from|at|as|"
    "and|or|its|their|there|it|they|we|you|i|me|my|our|your|any|some|about|into|than"
)

# Words asking for the whole of a fraction rather than its part: in "344/629 đảng viên",
# a question about the target, the plan or what must be done asks for 629.
WHOLE_OF_FRACTION = _words("chỉ tiêu|mục tiêu|kế hoạch|tổng cộng|phải|cần|target|goal|planned")

# Parts of the day and of a period, which news put before a date: "chiều 11/10",
# "cuối tháng 1", "đầu năm 2020".
TIME_OF = _words("sáng|trưa|chiều|tối|đêm|rạng sáng|khuya|đầu|giữa|cuối|hạ tuần|thượng tuần|"
                 "trung tuần|trước|sau|từ|đến|trong")  # fmt: skip
# Words that open a time expression with a number: "ngày 11/10", "năm 2019", "quý II".
TIME_UNITS = _words("ngày|tháng|năm|quý|tuần|thế kỷ|thế kỉ|giờ|hôm")

# Titles and honorifics before a person's name: "Phó Bí thư Tỉnh ủy Nguyễn Văn A".
TITLES = _words(
    "ông|bà|anh|chị|cô|chú|bác|em|cháu|bé|cụ|đồng chí|bác sĩ|bs|tiến sĩ|ts|thạc sĩ|ths|"
    "giáo sư|gs|phó giáo sư|pgs|kỹ sư|luật sư|nhà báo|nghệ sĩ|thượng tướng|trung tướng|"
    "thiếu tướng|đại tá|thượng tá|trung tá|thiếu tá|đại úy|bí thư|phó bí thư|chủ tịch|"
    "phó chủ tịch|giám đốc|phó giám đốc|tổng giám đốc|trưởng|phó|trưởng ban|phó trưởng ban|"
    "trưởng phòng|trưởng khoa|bộ trưởng|thứ trưởng|thủ tướng|phó thủ tướng|chủ nhiệm|"
    "phó chủ nhiệm|ủy viên|chánh|viện trưởng|hiệu trưởng|tổng bí thư|chủ tịch nước"
)

# Head nouns of organisation names: "Ủy ban Kiểm tra Huyện ủy Đắk Song", "Bệnh viện Bạch Mai".
ORG_HEADS = _words(
    "ủy ban|uỷ ban|ban|sở|bộ|cục|tổng cục|vụ|viện|bệnh viện|trường|đại học|học viện|công ty|"
    "tập đoàn|hội|hội đồng|đảng ủy|đảng bộ|chi bộ|huyện ủy|tỉnh ủy|thành ủy|quận ủy|thị ủy|"
    "mặt trận|liên đoàn|ngân hàng|tòa án|viện kiểm sát|công an|quân khu|trung tâm|khoa|"
    "phòng|đoàn|tổ chức|hiệp hội|quỹ|văn phòng|cơ quan|ubnd|hđnd|ủy ban nhân dân"
)

# Head nouns of place names: "tỉnh Gia Lai", "huyện Ia H'Drai", "TP HCM".
PLACE_HEADS = _words(
    "tỉnh|thành phố|tp|huyện|quận|thị xã|xã|phường|thị trấn|thôn|ấp|bản|làng|xóm|khu|vùng|"
    "miền|nước|quốc gia|châu|đảo|sông|núi"
)


@cache
def folded(words: frozenset[str]) -> frozenset[str]:
    """The unaccented forms of a list, for questions typed without diacritics."""
    return frozenset(fold_diacritics(word) for word in words)


# The commonest Vietnamese family names (together well over 90% of the population): a run
# of capitalised syllables that reaches one of them starts a person's name there
# ("Huyện ủy Nam Từ Liêm Nguyễn Văn Hải").
SURNAMES = _words(
    "nguyễn|trần|lê|phạm|hoàng|huỳnh|phan|vũ|võ|đặng|bùi|đỗ|hồ|ngô|dương|lý|lương|trương|"
    "đinh|đoàn|lâm|mai|trịnh|đào|cao|hà|tô|tạ|châu|thái|quách|kiều|lưu|văn|la|triệu|tăng"
)

# Units of measure: a figure's unit is one of these and ends there ("24,6 km", not "24,6
# km đường"); a counted noun ("40 công ty", "6 đồng chí") may take two syllables.
MEASURE_UNITS = _words(
    "km|m|cm|mm|kg|g|mg|tấn|tạ|ha|lít|ml|usd|đô la|euro|yên|đồng|độ|m2|m3|kw|mw|kwh|héc ta|"
    "giờ|phút|giây|ngày|tuần|tháng|năm|lần|tuổi"
)

# Words that make a claim about the article itself, the only claims its byline date supports:
# "Bài viết được đăng ngày 11/10/2022".
# Not "đăng" alone ("đăng ký") nor "công bố" (an event announces too).
PUBLICATION = _words(
    "bài viết|bài báo|được đăng|đăng tải|đăng ngày|đăng vào|đăng lúc|xuất bản|article|published|"
    "posted"
)

# Counters that stand for whatever was counted ("27.350 người" are the members named before).
GENERIC_COUNTERS = _words("người|lượt|trường hợp|cái|chiếc|con|vị|em|đồng chí")
