"""Embedding variants on this CPU: speed, and how far int8 retrieval agrees with fp32.

    python -m bench embedding_variants [--index DIR] [--speed-only]

Speed: both variants (`embedding.variant` fp32 and int8, through `wiring.build_embedder`)
embed the same 160 news chunks of ../shared/data/vn_news_dev.jsonl.gz (400 characters
each, with the document template), after a warm-up batch; then 20 new questions are
embedded one by one (query latency, first time each). Reports model load time, tokens/s,
chunks/s and query p50/p95.

Agreement: the chunks of an fp32 index built by `python -m bench.answer_quality
--distractors 300` (default: its cache, 5,213 chunks; the fp32 vectors are read from
Chroma, not recomputed) are embedded again with int8. Queries: the calibration questions,
every turn of evals/seed.yaml, and 150 article titles. For each query the dense top 5 by
cosine is compared: the share of queries whose top 5 is the same set, and the mean overlap.
Needs the int8 export (`ASSISTANT_EMBEDDING__VARIANT=int8 assistant models fetch`).

Prints Markdown. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np

from assistant.config import load_settings
from assistant.wiring import build_embedder
from bench.chunk_size import NEWS, PROJECT

CALIBRATION = Path(__file__).parent / "data" / "calibration.jsonl"
DEFAULT_INDEX = Path.home() / ".cache" / "vn-report-assistant" / "bench" / "answers-300" / "index"


def news_chunks(count: int = 160) -> list[str]:
    texts: list[str] = []
    with gzip.open(NEWS, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            body = record["body"]
            texts += [f"title: {record['title']} | text: {body[i : i + 400]}"
                      for i in range(0, min(len(body), 1600), 400)]  # fmt: skip
            if len(texts) >= count:
                return texts[:count]
    return texts


def speed(variant: str, texts: list[str]) -> str:
    started = time.perf_counter()
    embedder = build_embedder(load_settings(embedding={"variant": variant}))
    load = time.perf_counter() - started
    tokens = sum(len(embedder.tokenizer(text)["input_ids"]) for text in texts)
    embedder.get_text_embedding_batch(texts[:8])
    started = time.perf_counter()
    embedder.get_text_embedding_batch(texts)
    seconds = time.perf_counter() - started
    latencies = []
    for number in range(20):
        started = time.perf_counter()
        embedder.get_query_embedding(f"Câu hỏi số {number} về công tác đảng viên là gì?")
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return (f"| {variant} | {load:.1f} | {tokens / seconds:.0f} | {len(texts) / seconds:.1f} | "
            f"{latencies[10]:.0f} / {latencies[18]:.0f} |")  # fmt: skip


def agreement(index: Path) -> str:
    import chromadb
    import yaml

    client = chromadb.PersistentClient(str(index / "chroma"))
    name = next(c if isinstance(c, str) else c.name for c in client.list_collections())
    stored = client.get_collection(name).get(include=["embeddings", "documents", "metadatas"])
    fp32 = np.array(stored["embeddings"], dtype=np.float32)
    texts = [f"title: {m['title']} | text: {d}"
             for d, m in zip(stored["documents"], stored["metadatas"], strict=True)]  # fmt: skip
    queries = [json.loads(line)["question"] for line in CALIBRATION.read_text("utf-8").splitlines()]
    for case in yaml.safe_load((PROJECT / "evals" / "seed.yaml").read_text("utf-8"))["cases"]:
        queries += case.get("turns") or [case["question"]]
    queries += sorted({m["title"] for m in stored["metadatas"]})[:150]
    original = build_embedder(load_settings(embedding={"variant": "fp32"}))
    int8 = build_embedder(load_settings(embedding={"variant": "int8"}))
    started = time.perf_counter()
    ours = np.array(int8.get_text_embedding_batch(texts), dtype=np.float32)
    seconds = time.perf_counter() - started
    same = overlap = 0.0
    for query in queries:
        a = set(np.argsort(-fp32 @ np.array(original.get_query_embedding(query)))[:5])
        b = set(np.argsort(-ours @ np.array(int8.get_query_embedding(query)))[:5])
        same += a == b
        overlap += len(a & b) / 5
    return (f"{len(queries)} queries over {len(texts):,} chunks (int8 embedded them in "
            f"{seconds:.0f} s): identical top 5 **{same / len(queries):.1%}**, mean overlap@5 "
            f"**{overlap / len(queries):.1%}**")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--speed-only", action="store_true")
    args = parser.parse_args(argv)
    if not NEWS.exists():
        print(f"skipped: {NEWS} is absent")
        return
    texts = news_chunks()
    print("| variant | load s | tokens/s | chunks/s | query p50 / p95 ms |\n|---|--:|--:|--:|--:|")
    for variant in ("fp32", "int8"):
        print(speed(variant, texts), flush=True)
    if not args.speed_only:
        print("\n" + agreement(args.index))


if __name__ == "__main__":
    main()
