"""Reader accuracy on questions nobody on the team wrote: ViNewsQA, ViQuAD, Party news.

    python -m bench reader [--sets vinewsqa,viquad,party] [--work DIR] [--replay]
                           [--articles N] [--absent N] [--distractors N] [--min-support X]

Builds each set (`reader_data.py`: an indexed half, questions about it, and "absent"
questions about an unindexed half that must be abstained on), indexes it with the real
model into DIR (kept: a second run embeds nothing), and asks every case through the same
`ChatSession` path as `assistant ask`, scoring it with the eval harness's rules.

Reports per set and per answer kind: accuracy (gold in the short answer; gold in the
reply), abstention on answerable cases and on unanswerable/absent ones, the rank of the
first passage holding the gold answer, and answer-step and total latency p50/p95. With
`--sweep` it also answers with `min_support=0` and shows, for each threshold, answerable
cases right and must-abstain cases abstained, which is how the default is chosen.

Retrieved passages are saved per set in DIR; `--replay` answers from them instead of
retrieving again (no model loaded unless a question is new), so a change to the reader is
measured in seconds. Its total latency is then meaningless; its answer step is not.

Writes Markdown (aggregate numbers only: the data is research-only) to stdout and to
bench/results/reader-DATE.md; per-case JSON (with the questions) stays in DIR.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from assistant.answering.service import Assistant
from assistant.config import load_settings
from assistant.evaluation.matching import states
from assistant.evaluation.metrics import percentile, score_case
from assistant.evaluation.runner import answer_case
from assistant.evaluation.suite import Case
from assistant.retrieval.passage import Passage
from bench.reader_data import QuestionSet, available, party_set, squad_set

CACHE = Path.home() / ".cache" / "vn-report-assistant" / "bench" / "reader"
RESULTS = Path(__file__).parent / "results"
THRESHOLDS = [round(0.1 * n, 1) for n in range(0, 10)]
DENSE = [0.0, 0.5, 0.55, 0.6, 0.62, 0.65]


class RecordingRetriever:
    """Retrieves through `inner()` (built on first need) and remembers every result."""

    def __init__(self, inner, saved: dict[str, list[Passage]], index: Path) -> None:
        self._inner_factory, self._inner = inner, None
        self.saved = saved
        self.index = index.name  # one question asked of two indexes is two results
        self.misses = 0

    def retrieve(self, question: str, k: int = 5) -> list[Passage]:
        key = f"{self.index}\x00{k}\x00{question}"
        if key not in self.saved:
            if self._inner is None:
                self._inner = self._inner_factory()
            self.misses += 1
            self.saved[key] = self._inner.retrieve(question, k)
        return self.saved[key]


@dataclass
class Row:
    id: str
    kind: str
    group: str  # answerable, unanswerable, absent
    correct: bool
    in_reply: bool
    abstained: bool
    support: float
    answer_rank: int | None
    answer_ms: float
    total_ms: float
    question: str
    expected: list[str]
    short_answer: str | None
    reply: str
    dense_top: float | None = None  # the first passage's cosine to the question
    dense_cited: float | None = None  # the cited passage's


def ask(assistant: Assistant, case: Case, kind: str, group: str) -> Row:
    answer, error = answer_case(assistant, case)
    if answer is None:
        result = score_case(case, None, error)
        return Row(case.id, kind, group, False, False, False, 0.0, None, 0, 0,
                   result.question, result.expected, None, f"error: {error}")  # fmt: skip
    result = score_case(case, answer)
    rank = next(
        (
            number
            for number, passage in enumerate(answer.passages, 1)
            if any(states(gold, passage.text) for gold in case.expect.answers)
        ),
        None,
    )
    cited = None
    if answer.citations and answer.citations[0].start is not None:
        at = answer.citations[0]
        cited = next((p for p in answer.passages if p.article_id == at.article_id
                      and p.start <= at.start < p.end), None)  # fmt: skip
    top = answer.passages[0] if answer.passages else None
    return Row(
        case.id, kind, group, result.correct, result.in_reply, answer.abstained,
        answer.support, rank, answer.timings_ms.get("answer", 0.0),
        answer.timings_ms.get("total", 0.0), result.question, result.expected,
        answer.short_answer, answer.text,
        top.scores.get("dense") if top else None,
        cited.scores.get("dense") if cited else None,
    )  # fmt: skip


def assistant_for(
    corpus: Path,
    index: Path,
    saved: dict,
    replay: bool,
    min_support: float | None,
    embedder: str = "sentence-transformers",
):
    from assistant.wiring import build_extractive, build_index_service, build_retriever

    overrides: dict = {"embedding": {"backend": embedder}}
    if min_support is not None:  # --sweep: no gate at all, so both can be swept
        overrides["answer"] = {"min_support": min_support, "min_dense": 0.0}
    settings = load_settings(corpus=corpus, index=index, **overrides)

    def live():
        service = build_index_service(settings)
        if not replay:
            started = time.perf_counter()
            report = service.update(_progress(corpus.name))
            took = time.perf_counter() - started
            print(f"# {corpus}: {report.chunks_embedded} chunks embedded in {took:.0f} s",
                  file=sys.stderr)  # fmt: skip
        return build_retriever(settings, service)

    retriever = RecordingRetriever(live, saved, index)
    if not replay:
        retriever._inner = live()
    extractive = build_extractive(settings)
    return Assistant(retriever, k=settings.retrieval.k, extractive=extractive)


def _progress(name: str):
    def show(done: int, total: int, chunks: int) -> None:
        if done == total or done % 20 == 0:
            print(f"#   {name}: {done}/{total} articles, {chunks} chunks", file=sys.stderr)

    return show


def run_set(
    qs: QuestionSet,
    work: Path,
    replay: bool,
    min_support: float | None,
    embedder: str = "sentence-transformers",
) -> list[Row]:
    saved_path = work / qs.name / "retrieved.pickle"
    saved = pickle.loads(saved_path.read_bytes()) if saved_path.exists() else {}
    rows: list[Row] = []
    plan = [(qs.corpus, work / qs.name / "index", qs.cases, False)]
    if qs.absent_corpus is not None:
        plan.append((qs.absent_corpus, work / qs.name / "index-half", qs.absent, True))
    else:
        plan[0] = (qs.corpus, work / qs.name / "index", qs.cases + qs.absent, False)
    for corpus, index, cases, all_absent in plan:
        if all_absent and not index.exists() and (work / qs.name / "index").exists():
            # The half index is the whole one less some articles: an update only deletes.
            shutil.copytree(work / qs.name / "index", index)
        bot = assistant_for(corpus, index, saved, replay, min_support, embedder)
        with_warm_up = not replay
        if with_warm_up:
            bot.ask("Bài viết nói về điều gì?")
        for number, case in enumerate(cases, 1):
            absent = all_absent or case.id.startswith("absent-")
            group = "absent" if absent else "unanswerable" if case.expect.abstain else "answerable"
            kind = "absent" if absent else qs.kinds.get(case.id, "other")
            rows.append(ask(bot, case, kind, group))
            if number % 100 == 0:
                print(f"#   {qs.name}: {number}/{len(cases)} asked", file=sys.stderr)
        saved_path.write_bytes(pickle.dumps(saved))
    return rows


def table(name: str, rows: list[Row]) -> list[str]:
    lines = [
        f"### {name}",
        "",
        "| kind | n | right (short) | short/gold words | gold in reply | abstained "
        "| answer passage rank 1 / ≤5 | answer ms p50/p95 | total ms p50/p95 |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.kind].append(row)
        groups[f"**all {row.group}**"].append(row)
    for kind, members in sorted(
        groups.items(), key=lambda item: (item[0].startswith("**"), item[0])
    ):
        n = len(members)
        answerable = members[0].group == "answerable"
        right = f"{_share(r.correct for r in members)}" if answerable else "–"
        reply = f"{_share(r.in_reply for r in members)}" if answerable else "–"
        ranks = [r.answer_rank for r in members]
        rank = (f"{_share(x == 1 for x in ranks)} / {_share(x is not None for x in ranks)}"
                if answerable else "–")  # fmt: skip
        answer_ms = [r.answer_ms for r in members]
        total_ms = [r.total_ms for r in members]
        lines.append(
            f"| {kind} | {n} | {right} | {_length_ratio(members)} | {reply} | "
            f"{_share(r.abstained for r in members)} | "
            f"{rank} | {percentile(answer_ms, 50):.0f} / {percentile(answer_ms, 95):.0f} | "
            f"{percentile(total_ms, 50):.0f} / {percentile(total_ms, 95):.0f} |"
        )
    return [*lines, ""]


def sweep(name: str, rows: list[Row]) -> list[str]:
    """Answerable right and must-abstain abstained, had the gates been (support, dense)."""
    answerable = [r for r in rows if r.group == "answerable"]
    refuse = [r for r in rows if r.group != "answerable"]
    lines = [f"#### {name}: abstention gates", "",
             "| min_support \\ min_dense | " + " | ".join(f"{d:.2f}" for d in DENSE) + " |",
             "|--:|" + "--:|" * len(DENSE)]  # fmt: skip
    for t in THRESHOLDS:
        cells = []
        for d in DENSE:
            passed = [r.support >= t and _dense(r) >= d for r in rows]
            ok = dict(zip([id(r) for r in rows], passed, strict=True))
            right = sum(r.correct and ok[id(r)] for r in answerable)
            refused = sum(r.abstained or not ok[id(r)] for r in refuse)
            cells.append(f"{right}/{len(answerable)} · {refused}/{len(refuse)}")
        lines.append(f"| {t:.2f} | " + " | ".join(cells) + " |")
    return [*lines, "", "(each cell: answerable right · must-abstain abstained)", ""]


def _length_ratio(rows: list[Row]) -> str:
    """Median words of a right short answer per word of the shortest gold answer: how much
    longer than the annotators' span the short answer is when it holds it."""
    ratios = [
        len(r.short_answer.split()) / max(1, min(len(gold.split()) for gold in r.expected))
        for r in rows
        if r.correct and r.short_answer and r.expected
    ]
    return f"{statistics.median(ratios):.1f}×" if ratios else "–"


def _dense(row: Row) -> float:
    for value in (row.dense_cited, row.dense_top):
        if value is not None:
            return value
    return 0.0


def _share(flags) -> str:
    flags = list(flags)
    return f"{sum(map(bool, flags)) / len(flags):.1%}" if flags else "–"


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench reader", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sets", default="vinewsqa,viquad,party")
    parser.add_argument("--work", type=Path, default=CACHE, help=f"cache folder ({CACHE})")
    parser.add_argument("--articles", type=int, default=220, help="indexed contexts per SQuAD set")
    parser.add_argument("--absent", type=int, default=300, help="absent questions per SQuAD set")
    parser.add_argument("--distractors", type=int, default=100, help="party: news distractors")
    parser.add_argument("--replay", action="store_true", help="reuse saved retrieval results")
    parser.add_argument("--min-support", type=float, default=None)
    parser.add_argument("--sweep", action="store_true", help="answer at min_support 0 and sweep")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    parser.add_argument(
        "--embedder", choices=["sentence-transformers", "hashing"], default="sentence-transformers"
    )
    args = parser.parse_args()
    out = [f"## Reader benchmark, {date.today()}", ""]
    for name in args.sets.split(","):
        if not available(name):
            print(f"skipped {name}: its data is not in {Path('../shared/data')}", file=sys.stderr)
            continue
        if name == "party":
            qs = party_set(args.work, args.distractors)
        else:
            qs = squad_set(name, args.work, args.articles, args.absent)
        min_support = 0.0 if args.sweep else args.min_support
        rows = run_set(qs, args.work, args.replay, min_support, args.embedder)
        (args.work / name / "rows.json").write_text(
            json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1), encoding="utf-8"
        )
        out += table(f"{name} ({len(rows)} cases)", rows)
        if args.sweep:
            out += sweep(name, rows)
        print("\n".join(out[-40:]), file=sys.stderr)
    report = "\n".join(out)
    print(report)
    if not args.no_write and not args.replay:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"reader-{date.today()}.md").write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
