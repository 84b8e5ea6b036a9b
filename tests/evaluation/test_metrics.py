"""Scoring rules: correctness, abstention, gold-article rank, citation support, latency."""

from __future__ import annotations

import pytest

from assistant.answering.types import Answer, Citation, abstention
from assistant.evaluation.metrics import missed_thresholds, percentile, score_case, summarise
from assistant.evaluation.suite import Case, Thresholds
from assistant.retrieval.passage import Passage

QUOTE = "nâng tổng số đảng viên trong toàn tỉnh lên 27.350 người"


def case(expect: dict, **fields) -> Case:
    return Case(id=fields.pop("id", "c"), question="Tổng số đảng viên?", expect=expect, **fields)


def passage(article: str) -> Passage:
    return Passage(f"{article}#0", article, "Tiêu đề", "2022-10-11", QUOTE, 0, len(QUOTE), 0.5)


def answer(
    text: str,
    short: str | None,
    *,
    quote: str = QUOTE,
    ms: float = 100.0,
    retrieved=("seed.txt",),
    backend: str = "extractive",
) -> Answer:
    cited = passage("seed.txt")
    citation = Citation.quoting(1, cited, 0, len(quote)) if quote else None
    return Answer(
        "q",
        text,
        short,
        False,
        [citation] if citation else [],
        backend=backend,
        timings_ms={"total": ms},
        passages=[passage(article) for article in retrieved],
    )


@pytest.mark.parametrize("short", ["27.350", "27,350", "27350"])
def test_a_right_number_in_any_spelling(short):
    result = score_case(case({"any": ["27 350"]}), answer(f"Là {short} người [1].", short))
    assert result.correct and result.citation_supported


def test_a_figure_inside_a_bigger_one_is_wrong():
    result = score_case(case({"any": ["27.350"]}), answer("Là 127.350 người [1].", "127.350"))
    assert not result.correct


def test_the_short_answer_is_judged_not_the_quoted_clause():
    # The reply quotes a clause holding both figures; the answer given is 344, not 629.
    got = answer("Toàn tỉnh kết nạp được 344/629 đảng viên mới [1].", "344")
    assert not score_case(case({"any": ["629"]}), got).correct
    assert score_case(case({"any": ["344"]}), got).correct


def test_an_llm_reply_is_judged_whole():
    got = answer("Tổng số là 27.350 người [1].", "999", backend="llm")
    assert score_case(case({"any": ["27.350"]}), got).correct


def test_all_of_a_list_must_be_stated():
    got = answer("Ở vùng đồng bào dân tộc, có đạo, biên giới [1].", None)
    assert score_case(case({"all": ["có đạo", "biên giới"]}), got).correct
    assert not score_case(case({"all": ["có đạo", "hải đảo"]}), got).correct
    assert score_case(case({"any": ["có đạo", "hải đảo"]}), got).correct


def test_text_answers_optionally_ignore_diacritics():
    got = answer("Tác giả là Hoàng Hoài [1].", "Hoàng Hoài", quote="Hoàng Hoài")
    assert score_case(case({"any": ["hoang hoai"], "ignore_diacritics": True}), got).correct
    assert not score_case(case({"any": ["hoang hoai"]}), got).correct
    assert score_case(case({"any": ["HOÀNG HOÀI"]}), got).correct  # case-insensitive


def test_abstention_is_scored_both_ways():
    should = case({"abstain": True})
    assert score_case(should, abstention("q")).correct
    said = score_case(should, answer("Là 27.350 người [1].", "27.350"))
    assert not said.correct and not said.abstained
    missed = score_case(case({"any": ["27.350"]}), abstention("q"))
    assert not missed.correct and missed.abstained and missed.citation_supported is None


def test_citation_support_needs_the_answer_in_the_quote():
    unsupported = answer("Là 27.350 người [1].", "27.350", quote="nâng tổng số đảng viên")
    result = score_case(case({"any": ["27.350"]}), unsupported)
    assert result.correct and result.citation_supported is False
    uncited = answer("Là 27.350 người.", "27.350", quote="")
    assert score_case(case({"any": ["27.350"]}), uncited).citation_supported is False


def test_the_rank_of_the_gold_article():
    got = answer("27.350 [1].", "27.350", retrieved=("a.txt", "a.txt", "seed.txt", "b.txt"))
    assert score_case(case({"any": ["27.350"]}, article="seed.txt"), got).gold_rank == 3
    assert score_case(case({"any": ["27.350"]}, article="c.txt"), got).gold_rank is None
    assert score_case(case({"any": ["27.350"]}), got).gold_rank is None


def test_a_case_that_could_not_run():
    result = score_case(case({"any": ["27.350"]}), None, "the question is empty")
    assert not result.correct and result.error == "the question is empty"


def test_summary_rates_and_latency_per_kind():
    results = [
        score_case(
            case({"any": ["27.350"]}, id="a", article="seed.txt", tags=["number"]),
            answer("27.350 [1].", "27.350", ms=100),
        ),
        score_case(
            case({"any": ["629"]}, id="b", article="seed.txt", tags=["number"]),
            answer("27.350 [1].", "27.350", ms=300, retrieved=("x.txt", "seed.txt")),
        ),
        score_case(case({"abstain": True}, id="c"), abstention("q")),
        score_case(case({"any": ["1"]}, id="d", article="seed.txt"), None, "boom"),
    ]
    summary = summarise(results)
    assert summary.cases == 4 and summary.errors == 1
    assert summary.accuracy == 0.5 and summary.failed == ["b", "d"]
    assert summary.abstention_accuracy == 0.75  # the errored case counts as wrong
    assert summary.hit_at_k == pytest.approx(2 / 3)  # gold cases: a, b, d
    assert summary.mrr == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert summary.citation_support == 1.0
    assert summary.latency_ms["number"] == {"p50": 200.0, "p95": 290.0, "n": 2}
    assert summary.latency_ms["all"]["n"] == 3  # errors have no latency


def test_thresholds():
    results = [
        score_case(case({"any": ["27.350"]}), answer("27.350 [1].", "27.350", ms=500)),
        score_case(case({"any": ["629"]}), answer("27.350 [1].", "27.350", ms=500)),
    ]
    summary = summarise(results)
    assert missed_thresholds(summary, Thresholds(min_accuracy=0.5)) == []
    assert missed_thresholds(summary, Thresholds(min_accuracy=0.9, max_p95_ms=400)) == [
        "accuracy 0.500 < 0.900",
        "p95 latency 500 ms > 400 ms",
    ]
    # No gold articles: hit@k is not measured, so its threshold cannot be missed.
    assert missed_thresholds(summary, Thresholds(min_hit_at_k=1.0)) == []


def test_percentile():
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0


def test_any_of_several_accepted_answers_is_judged_on_the_short_answer():
    # Annotators' variants ("30 lần", "30") are alternatives, not a list to state.
    got = answer("Với kỹ thuật cũ: 30 lần chiếu, mỗi lần 2 Gy [1].", "2 Gy")
    result = score_case(case({"any": ["30 lần", "30"]}), got)
    assert not result.correct and result.in_reply


def test_unanswerable_cases_have_their_own_rate_and_gate():
    results = [
        score_case(case({"any": ["27.350"]}, id=f"a{n}"), answer("27.350 [1].", "27.350"))
        for n in range(9)
    ]
    results.append(score_case(case({"abstain": True}, id="u"), answer("27.350 [1].", "27.350")))
    summary = summarise(results)
    assert summary.accuracy == 0.9 and summary.answer_accuracy == 1.0
    assert summary.abstention == 0.0 and summary.over_abstention == 0.0
    # 90% overall would pass a 0.9 bar; the unanswerable case, answered, does not.
    assert missed_thresholds(summary, Thresholds(min_accuracy=0.9)) == ["abstention 0.000 < 0.900"]
    assert missed_thresholds(summary, Thresholds(min_accuracy=0.9, min_abstention=0.0)) == []


def test_abstaining_on_an_answerable_case_is_counted():
    results = [
        score_case(case({"any": ["27.350"]}, id="a"), abstention("q")),
        score_case(case({"any": ["27.350"]}, id="b"), answer("27.350 [1].", "27.350")),
    ]
    summary = summarise(results)
    assert summary.over_abstention == 0.5 and summary.answer_accuracy == 0.5
    assert summary.abstention is None
