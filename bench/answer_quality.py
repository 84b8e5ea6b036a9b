"""Answer quality, abstention calibration and latency of the whole `ask` path.

    python -m bench.answer_quality [--distractors N] [--work DIR] [--repeat R]

Indexes the seed article plus N hard distractor articles from
../shared/data/vn_news_dev.jsonl.gz (the first ones that mention "đảng viên"; skipped
cleanly when the file is absent) with the real embedding model, into DIR (kept, so a second
run embeds nothing). Then, in one warm process:

- scores the 24 seed questions (evals/seed.yaml) as `assistant ask` answers
  them, with follow-ups through a chat session;
- calibrates `answer.min_support` on bench/data/calibration.jsonl plus the seed questions:
  every question is answered with the threshold at 0, and each threshold t is scored by
  answerable questions answered correctly with support >= t plus unanswerable ones with
  support < t; the middle of the best range is recommended;
- measures warm latency (p50/p95 of retrieve, answer and total): first for questions the
  process has not seen, then over R more rounds of the same ones (embedding cached).

Prints Markdown for docs/answering.md and docs/benchmarks.md. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import date
from pathlib import Path

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.service import Assistant, ChatSession
from assistant.config import load_settings
from assistant.evaluation.matching import answer_matches
from assistant.wiring import build_assistant, build_index_service
from bench.chunk_size import NEWS, PROJECT, build_corpus, pick_distractors

CALIBRATION = Path(__file__).parent / "data" / "calibration.jsonl"
QUESTIONS = PROJECT / "evals" / "seed.yaml"


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load_seed(path: Path) -> list[dict]:
    """The seed suite's cases in this script's (and calibration.jsonl's) JSON-lines shape."""
    from assistant.evaluation.suite import load_suite

    cases = []
    for case in load_suite(path).cases:
        asked = {"turns": case.turns} if case.turns else {"question": case.question}
        cases.append({"id": case.id, **asked, "answers": case.expect.answers,
                      "match": case.expect.match})  # fmt: skip
    return cases


def build(work: Path, distractors: int) -> Assistant:
    corpus = work / "corpus"
    if not corpus.exists():
        picked = pick_distractors(NEWS, distractors) if distractors and NEWS.exists() else []
        build_corpus(corpus, picked)
    settings = load_settings(corpus=corpus, index=work / "index")
    service = build_index_service(settings)
    started = time.perf_counter()
    report = service.update()
    print(
        f"<!-- index: {report.chunks_embedded} chunks embedded in "
        f"{time.perf_counter() - started:.0f} s; {service.status().chunks} chunks -->"
    )
    return build_assistant(settings, service)


def run_case(assistant: Assistant, case: dict):
    session = ChatSession(assistant)
    answer = None
    for turn in case.get("turns") or [case["question"]]:
        answer = session.ask(turn)
    return answer


def correct(case: dict, answer) -> bool:
    if answer.abstained:
        return False
    said = answer.text if case.get("match") == "all" else answer.short_answer or ""
    return answer_matches(case["answers"], said, match=case.get("match", "all"))


def seed_score(assistant: Assistant, cases: list[dict]) -> tuple[int, list[str]]:
    wrong = []
    for case in cases:
        answer = run_case(assistant, case)
        ok = answer.abstained if not case["answers"] else correct(case, answer)
        if not ok:
            wrong.append(f"{case['id']} (got {answer.short_answer!r})")
    return len(cases) - len(wrong), wrong


def calibrate(assistant: Assistant, cases: list[dict]) -> tuple[float, list[tuple]]:
    """(recommended threshold, rows of (t, answerable ok, unanswerable ok))."""
    open_assistant = replace_threshold(assistant, 0.0)
    observed = []
    for case in cases:
        answer = run_case(open_assistant, case)
        answerable = bool(case["answers"])
        observed.append((answerable, answer.support, answerable and correct(case, answer)))
    rows = []
    for step in range(30, 96):
        t = step / 100
        good = sum(1 for a, s, ok in observed if a and ok and s >= t)
        bad = sum(1 for a, s, _ in observed if not a and s < t)
        rows.append((t, good, bad))
    best = max(good + bad for _, good, bad in rows)
    tied = [t for t, good, bad in rows if good + bad == best]
    return round(statistics.median(tied), 2), rows


def replace_threshold(assistant: Assistant, threshold: float) -> Assistant:
    copy = Assistant(assistant.retriever, k=assistant.k, llm=assistant.llm)
    copy.extractive = ExtractiveAnswerer(threshold)
    return copy


def latency(assistant: Assistant, cases: list[dict], repeat: int) -> dict[str, tuple]:
    """p50/p95 per step: questions the process has not seen, then the same ones again
    (their embedding is cached)."""
    questions = [case["question"] for case in cases if "question" in case]
    assistant.ask("Câu hỏi khởi động để nạp mô hình?")  # warm: model loaded, not a test question
    rows: dict[str, list[float]] = {}
    for round_number in range(repeat + 1):
        label = "new question" if round_number == 0 else "repeated question"
        for question in questions:
            answer = assistant.ask(question)
            for key in ("retrieve", "answer", "total"):
                rows.setdefault(f"{label}: {key}", []).append(answer.timings_ms[key])
    return {key: (percentile(v, 50), percentile(v, 95)) for key, v in rows.items()}


def percentile(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distractors", type=int, default=0)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cache = Path.home() / ".cache" / "vn-report-assistant" / "bench"
    work = args.work or cache / f"answers-{args.distractors}"
    assistant = build(work, args.distractors)
    seed = load_seed(QUESTIONS)
    stats = latency(assistant, seed, args.repeat)  # first, while every question is new
    right, wrong = seed_score(assistant, seed)
    print(f"## {date.today()} · {platform.node()} · seed + {args.distractors} distractors\n")
    print(
        f"Seed questions right: **{right}/{len(seed)}**"
        + (f" (wrong: {', '.join(wrong)})" if wrong else "")
    )
    single = [case for case in seed if "question" in case] + load_jsonl(CALIBRATION)
    threshold, rows = calibrate(assistant, single)
    answerable = sum(1 for case in single if case["answers"])
    print(
        f"\nCalibration: {answerable} answerable, {len(single) - answerable} unanswerable; "
        f"recommended min_support = **{threshold}**\n"
    )
    print("| min_support | answerable answered right | unanswerable abstained |")
    print("|---|---|---|")
    for t, good, bad in rows[::5]:
        print(f"| {t:.2f} | {good}/{answerable} | {bad}/{len(single) - answerable} |")
    print("\n| warm, in-process | p50 ms | p95 ms |\n|---|---|---|")
    for key, (p50, p95) in stats.items():
        print(f"| {key} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
