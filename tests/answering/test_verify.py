"""Verification: invented figures and citations never reach a user unflagged."""

from assistant.answering.types import NOT_FOUND
from assistant.answering.verify import verify_reply
from assistant.retrieval.passage import Passage

BODY = (
    "Tính đến 15/9/2022, toàn tỉnh kết nạp được 344/629 đảng viên mới, đạt khoảng 55% "
    "tổng số chỉ tiêu đăng ký, nâng tổng số đảng viên trong toàn tỉnh lên 27.350 người. "
    "Đến nay, toàn tỉnh đã có 1.352/1.719 chi bộ tổ chức đại hội (đạt tỷ lệ 78,56%)."
)
OTHER = "Kế hoạch số 43 ngày 23/3/2022 thực hiện Kết luận số 21 của Trung ương."


def passage(text, article="a.txt", offset=100):
    return Passage(f"{article}#v#0", article, "Tiêu đề", "2022-10-11", text, offset,
                   offset + len(text), 0.9, author="Hoàng Hoài")  # fmt: skip


PASSAGES = [passage(BODY), passage(OTHER, "b.txt", 0)]


def test_a_grounded_reply_is_kept_with_verbatim_quotes():
    checked = verify_reply("Tổng số đảng viên toàn tỉnh là 27.350 người [1].", PASSAGES)
    assert not checked.changed and not checked.abstained
    assert checked.text == "Tổng số đảng viên toàn tỉnh là 27.350 người [1]."
    [citation] = checked.citations
    assert citation.article_id == "a.txt"
    assert "27.350" in citation.quote
    assert BODY[citation.start - 100 : citation.end - 100] == citation.quote


def test_figures_match_in_any_spelling():
    reply = "Có 27350 đảng viên [1], tỷ lệ 78.56 % [1], từ 15/09/2022 [1]."
    checked = verify_reply(reply, PASSAGES)
    assert not checked.changed


def test_an_invented_number_is_dropped():
    checked = verify_reply(
        "Tổng số đảng viên là 10.000 người [1]. Tỷ lệ đại hội là 78,56% [1].", PASSAGES
    )
    assert checked.dropped == ("Tổng số đảng viên là 10.000 người.",)
    assert "10.000" not in checked.text
    assert checked.text == "Tỷ lệ đại hội là 78,56% [1]."


def test_a_number_must_be_in_the_passage_it_cites_not_another():
    checked = verify_reply("Kế hoạch số 43 ban hành ngày 23/3/2022 [1].", PASSAGES)
    assert checked.dropped and not checked.citations
    moved = verify_reply("Kế hoạch số 43 ban hành ngày 23/3/2022 [2].", PASSAGES)
    assert not moved.changed
    assert moved.text == "Kế hoạch số 43 ban hành ngày 23/3/2022 [1]."  # renumbered
    assert moved.citations[0].article_id == "b.txt"


def test_a_citation_that_was_not_given_is_removed():
    checked = verify_reply("Toàn tỉnh có 27.350 đảng viên [7].", PASSAGES)
    assert checked.reasons == ("uncited",)  # it named no passage that was given
    assert "[7]" not in checked.text
    assert checked.citations == ()  # and the figure, now unsupported, went with it
    assert checked.abstained


def test_uncited_sentences_and_sentences_the_source_does_not_say_are_dropped():
    reply = (
        "Có 27.350 đảng viên. Tỉnh đã kỷ luật hàng trăm đảng viên trong năm. "
        "Công tác được chú trọng [1][2]. Nhiều chi bộ đã tổ chức đại hội [1]."
    )
    checked = verify_reply(reply, PASSAGES)
    assert checked.dropped == (
        "Có 27.350 đảng viên.",
        "Tỉnh đã kỷ luật hàng trăm đảng viên trong năm.",
        "Công tác được chú trọng.",
    )
    assert checked.reasons[:2] == ("uncited", "uncited")
    assert checked.text == "Nhiều chi bộ đã tổ chức đại hội [1]."
    assert "chi bộ tổ chức đại hội" in checked.citations[0].quote


def test_the_byline_supports_the_publication_date():
    checked = verify_reply("Bài viết đăng ngày 11/10/2022 [1].", PASSAGES)
    assert not checked.changed


def test_a_refusal_is_an_abstention():
    checked = verify_reply(NOT_FOUND, PASSAGES)
    assert checked.abstained and checked.citations == ()
