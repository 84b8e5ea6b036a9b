"""Scoring: one case's answers into a `CaseResult`, a suite's results into a `Summary`.

Per case: correctness (format-tolerant, `matching.py`), abstention (abstained exactly when
it should), the rank of the gold article among the retrieved passages (for hit@k and MRR),
citation support (the cited quotes state the answer the reply gives), and latency. Per
suite: the rates, latency p50/p95 per case kind, and the thresholds it missed.

Not here: running the assistant (`runner.py`) or writing reports (`report.py`).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from assistant.answering.types import Answer
from assistant.evaluation.matching import states
from assistant.evaluation.suite import Case, Thresholds


@dataclass
class CaseResult:
    """How one case went; `error` is set (and nothing else scored) when it could not run."""

    id: str
    kind: str
    question: str
    expected: list[str]
    match: str
    should_abstain: bool
    tags: list[str] = field(default_factory=list)
    got: str = ""
    short_answer: str | None = None
    abstained: bool = False
    correct: bool = False
    # The expected answer is in the whole reply (judged on the short answer above).
    in_reply: bool = False
    gold_article: str | None = None
    gold_rank: int | None = None  # 1-based rank of the gold article's first passage
    citation_supported: bool | None = None  # None: nothing to support (abstained)
    citations: list[dict] = field(default_factory=list)
    latency_ms: float = 0.0
    error: str | None = None
    # A scripted reply: its wrong claims not shown, its right claims shown (by the LLM).
    wrong_claims: int = 0
    claims_caught: int = 0
    right_claims: int = 0
    claims_kept: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def score_case(case: Case, answer: Answer | None, error: str | None = None) -> CaseResult:
    """Score the last answer of `case` (None, with `error`, when it failed to run)."""
    expect = case.expect
    result = CaseResult(
        id=case.id,
        kind=case.kind,
        question=" → ".join(case.conversation),
        expected=expect.answers,
        match=expect.match,
        should_abstain=expect.abstain,
        tags=list(case.tags),
        gold_article=case.article,
        error=error,
    )
    if answer is None:
        return result
    result.got = answer.text
    result.short_answer = answer.short_answer
    result.abstained = answer.abstained
    result.latency_ms = answer.timings_ms.get("total", 0.0)
    result.citations = [
        {"n": c.n, "article_id": c.article_id, "title": c.title, "quote": c.quote}
        for c in answer.citations
    ]
    if case.reply is not None:
        return _score_claims(result, case, answer)
    said = judged_text(answer, expect.match)
    stated = [a for a in expect.answers if states(a, said, fold=expect.ignore_diacritics)]
    in_reply = [a for a in expect.answers if states(a, answer.text, fold=expect.ignore_diacritics)]
    if expect.abstain:
        result.correct = answer.abstained
    elif not answer.abstained:
        result.correct = len(stated) == len(expect.answers) if expect.all else bool(stated)
        result.in_reply = len(in_reply) == len(expect.answers) if expect.all else bool(in_reply)
    if not answer.abstained:
        quotes = " … ".join(c.quote for c in answer.citations)
        # Each answer the reply states must be in what it cites (a wrong reply that quotes
        # faithfully is still supported: support measures grounding, not correctness).
        claimed = stated or ([answer.short_answer] if answer.short_answer else [])
        result.citation_supported = bool(answer.citations) and all(
            states(a, quotes, fold=expect.ignore_diacritics) for a in claimed
        )
    if case.article:
        ranked = [p.article_id for p in answer.passages]
        if case.article in ranked:
            result.gold_rank = ranked.index(case.article) + 1
    return result


def _score_claims(result: CaseResult, case: Case, answer: Answer) -> CaseResult:
    """A scripted reply: each wrong claim's phrase must be absent from what the user is
    shown, each right claim's phrase present in the LLM reply that survived verification."""
    shown = answer.text
    result.expected = list(case.expect.claims)
    result.wrong_claims = len(case.expect.caught)
    result.claims_caught = sum(not states(p, shown) for p in case.expect.caught)
    result.right_claims = len(case.expect.kept)
    result.claims_kept = sum(answer.backend == "llm" and states(p, shown) for p in case.expect.kept)
    result.correct = (
        result.claims_caught == result.wrong_claims and result.claims_kept == result.right_claims
    )
    return result


def judged_text(answer: Answer, match: str = "any") -> str:
    """What is compared with the gold answer: the extractive short answer when there is one.

    The whole reply of the extractive reader quotes a clause, and a clause can hold other
    figures ("kết nạp được 344/629"): judging it would pass a wrong answer that merely
    quotes the right number nearby. That holds for any of several accepted answers too
    (annotators' variants). A list that must state all its items and an LLM's reply have
    no short answer to judge, so the reply is.
    """
    if answer.backend == "extractive" and answer.short_answer and match == "any":
        return answer.short_answer
    return answer.text


@dataclass
class Summary:
    cases: int
    errors: int
    accuracy: float
    abstention_accuracy: float
    # Answerable cases: answered right (short answer; whole reply), and wrongly abstained.
    answer_accuracy: float | None
    reply_accuracy: float | None
    over_abstention: float | None
    # Cases that must abstain: the share that did.
    abstention: float | None
    hit_at_k: float | None
    mrr: float | None
    citation_support: float | None
    latency_ms: dict[str, dict[str, float]]  # kind (and "all") -> {p50, p95, n}
    failed: list[str]
    # Scripted replies: wrong claims not shown, right claims shown (None: no such case).
    claims_caught: float | None = None
    claims_kept: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def summarise(results: list[CaseResult]) -> Summary:
    ran = [r for r in results if r.error is None]
    gold = [r for r in results if r.gold_article and not r.should_abstain]
    grounded = [r for r in ran if r.citation_supported is not None]
    answerable = [r for r in results if not r.should_abstain]
    unanswerable = [r for r in results if r.should_abstain]
    return Summary(
        cases=len(results),
        errors=len(results) - len(ran),
        accuracy=_rate(r.correct for r in results),
        abstention_accuracy=_rate(
            r.error is None and r.abstained == r.should_abstain for r in results
        ),
        answer_accuracy=_rate(r.correct for r in answerable) if answerable else None,
        reply_accuracy=_rate(r.in_reply for r in answerable) if answerable else None,
        over_abstention=_rate(r.abstained for r in answerable) if answerable else None,
        abstention=_rate(r.error is None and r.abstained for r in unanswerable)
        if unanswerable
        else None,
        hit_at_k=_rate(r.gold_rank is not None for r in gold) if gold else None,
        mrr=_mean([1 / r.gold_rank if r.gold_rank else 0.0 for r in gold]) if gold else None,
        citation_support=_rate(r.citation_supported for r in grounded) if grounded else None,
        latency_ms=_latencies(ran),
        failed=[r.id for r in results if not r.correct],
        claims_caught=_share(results, "claims_caught", "wrong_claims"),
        claims_kept=_share(results, "claims_kept", "right_claims"),
    )


def _share(results: list[CaseResult], part: str, whole: str) -> float | None:
    total = sum(getattr(r, whole) for r in results)
    return sum(getattr(r, part) for r in results) / total if total else None


def missed_thresholds(summary: Summary, thresholds: Thresholds) -> list[str]:
    """One line per threshold the summary misses, e.g. "accuracy 0.850 < 0.900"."""
    checks = [
        ("accuracy", summary.accuracy, thresholds.min_accuracy),
        ("answer accuracy", summary.answer_accuracy, thresholds.min_answer_accuracy),
        ("abstention", summary.abstention, thresholds.abstention_gate),
        ("abstention accuracy", summary.abstention_accuracy, thresholds.min_abstention_accuracy),
        ("hit@k", summary.hit_at_k, thresholds.min_hit_at_k),
        ("MRR", summary.mrr, thresholds.min_mrr),
        ("citation support", summary.citation_support, thresholds.min_citation_support),
        ("wrong claims caught", summary.claims_caught, thresholds.min_claims_caught),
        ("right claims kept", summary.claims_kept, thresholds.min_claims_kept),
    ]
    missed = [
        f"{name} {value:.3f} < {minimum:.3f}"
        for name, value, minimum in checks
        if minimum is not None and value is not None and value < minimum
    ]
    p95 = summary.latency_ms.get("all", {}).get("p95")
    if thresholds.max_p95_ms is not None and p95 is not None and p95 > thresholds.max_p95_ms:
        missed.append(f"p95 latency {p95:.0f} ms > {thresholds.max_p95_ms:.0f} ms")
    return missed


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile (0–100), interpolated; a single value is its own percentile."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def _latencies(results: list[CaseResult]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[float]] = {"all": [r.latency_ms for r in results]}
    for result in results:
        groups.setdefault(result.kind, []).append(result.latency_ms)
    return {
        kind: {"p50": percentile(v, 50), "p95": percentile(v, 95), "n": len(v)}
        for kind, v in groups.items()
        if v
    }


def _rate(flags) -> float:
    flags = list(flags)
    return sum(bool(f) for f in flags) / len(flags) if flags else 0.0


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
