"""Questions embedded by the fp32 ONNX copy against torch: same top 5? how much faster?

    python -m bench.query_runtime [--work DIR] [--questions N]

Opens the index of `bench.answer_quality --distractors 300` (DIR, default its cache folder;
build it first), and asks N questions (default 200): the seed suite's single questions,
bench/data/calibration.jsonl, then questions read at run time from ../shared/data (the
Party-news set, then UIT-ViNewsQA; skipped cleanly when absent; never copied). Each is
embedded by torch and by the ONNX copy, alternately (so both see the same machine), and
the dense top 5 over the whole index is compared in order. Prints Markdown for
docs/benchmarks.md. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import date
from pathlib import Path

from assistant.config import load_settings
from assistant.retrieval.dense import DenseRetriever
from assistant.wiring import build_index_service, build_query_embedder
from bench.answer_quality import CALIBRATION, QUESTIONS, load_jsonl, load_seed, percentile
from bench.chunk_size import PROJECT

SHARED = PROJECT.parent / "shared" / "data"


def questions(limit: int) -> list[str]:
    asked = [case["question"] for case in load_seed(QUESTIONS) if "question" in case]
    asked += [case["question"] for case in load_jsonl(CALIBRATION)]
    party = SHARED / "party_dev_qa.jsonl"
    if party.exists():
        asked += [case["question"] for case in load_jsonl(party) if "question" in case]
    squad = SHARED / "dev_qa" / "vinewsqa_dev.json"
    if squad.exists() and len(asked) < limit:
        for article in json.loads(squad.read_text("utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                asked += [qa["question"] for qa in paragraph["qas"]]
    return list(dict.fromkeys(asked))[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cache = Path.home() / ".cache" / "vn-report-assistant" / "bench" / "answers-300"
    parser.add_argument("--work", type=Path, default=cache)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    if not (args.work / "index").exists():
        raise SystemExit(f"no index in {args.work}; run python -m bench.answer_quality first")
    settings = load_settings(corpus=args.work / "corpus", index=args.work / "index")
    service = build_index_service(settings)
    store = service.open_store()
    onnx = build_query_embedder(settings, service)
    if onnx is service.embedder:
        raise SystemExit("no fp32 ONNX copy; run `assistant models fetch`")
    runtimes = {
        "torch": DenseRetriever(store, service.embedder),
        "onnx": DenseRetriever(store, onnx),
    }
    for dense in runtimes.values():
        dense.retrieve("Câu hỏi khởi động để nạp mô hình?")
    asked = questions(args.questions)
    seconds: dict[str, list[float]] = {name: [] for name in runtimes}
    same_top5 = same_set = same_top1 = 0
    for question in asked:
        ranked = {}
        for name, dense in runtimes.items():
            started = time.perf_counter()
            dense.query_vector(question)  # timed alone; retrieval reuses the cached vector
            seconds[name].append((time.perf_counter() - started) * 1000)
            ranked[name] = [p.chunk_id for p in dense.retrieve(question, k=5)]
        same_top5 += ranked["torch"] == ranked["onnx"]
        same_set += set(ranked["torch"]) == set(ranked["onnx"])
        same_top1 += ranked["torch"][:1] == ranked["onnx"][:1]
    n = len(asked)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"## {date.today()} · {platform.node()} · {store.count()} chunks · load {load}\n")
    print(f"{n} questions: same top 5 in order **{same_top5}/{n}**, same top-5 set "
          f"{same_set}/{n}, same top 1 {same_top1}/{n}\n")  # fmt: skip
    print("| question embedding | p50 ms | p95 ms |\n|---|--:|--:|")
    for name, values in seconds.items():
        print(f"| {name} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} |")


if __name__ == "__main__":
    main()
