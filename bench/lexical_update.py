"""Lexical-index benchmark: a whole build against the incremental update after one article changed.

`index update` keeps the BM25 index in step with Chroma (`sync_lexical_index`): it loads the
saved term counts, drops the rows of chunks no longer stored and tokenises only the new
ones. A whole build happens only when no readable index is saved. Each step below runs in
a fresh process, so peak RSS (VmHWM) is the step's own:

- build: every chunk read from Chroma in pages, tokenised and counted, then saved;
- open: the stamp check (every chunk id read and hashed) and a load, what an app pays at
  start and after another process's update;
- update: one article changed: its chunks leave and the same texts come back under new ids
  (a new version), then the index is saved; the whole path of `sync_lexical_index` but the
  reading of Chroma, which is not changed (the cached index stays as it was);
- query: mean `retrieve` time (k = 20) over the seed questions, in the open process.

Run against an index folder built by `python -m bench scale` (the 30,000-article one is the
point: ~330k chunks), or against N news chunks stored in a temporary Chroma with random
vectors (embedding is not what is measured):

    .venv/bin/python -m bench.lexical_update \\
        --index ~/.cache/vn-report-assistant/bench/scale/hashing-256/n30000/ours
    .venv/bin/python -m bench.lexical_update --chunks 1000,10000
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import StoreSettings
from assistant.corpus.reader import parse_article_bytes
from assistant.errors import ArticleError
from assistant.indexing.chunking import VietnameseChunker, article_document
from assistant.indexing.lexical import LexicalIndex, index_from_store, iter_chunks, store_ids
from assistant.indexing.store import ChunkStore, chroma_client
from assistant.retrieval.lexical import open_lexical_index
from bench.answer_quality import QUESTIONS
from bench.chunk_size import NEWS
from bench.scale_build import peak_rss_mb

STEPS = ("build", "open", "update")


def open_store(index: Path) -> ChunkStore:
    """The single collection of the Chroma files in `index/chroma`."""
    client = chroma_client(StoreSettings(), index)
    names = [getattr(c, "name", c) for c in client.list_collections()]
    if len(names) != 1:
        raise SystemExit(f"expected one collection in {index}/chroma, found {names}")
    return ChunkStore(client, names[0])


def questions() -> list[str]:
    from assistant.evaluation.suite import load_suite

    return [" ".join(case.turns or [case.question]) for case in load_suite(QUESTIONS).cases]


def step(name: str, index: Path, folder: Path) -> dict:
    """Run one step here; its figures (wall, CPU, peak RSS) as a dict."""
    store = open_store(index)
    wall, cpu = time.perf_counter(), time.process_time()
    figures: dict = {}
    if name == "build":
        lexical = index_from_store(store)
        lexical.save(folder)
        figures["chunks"] = len(lexical)
        figures["vocabulary"] = len(lexical.counts.vocab)
    elif name == "open":
        lexical = open_lexical_index(store, folder)
        figures["chunks"] = len(lexical)
        opened = time.perf_counter() - wall
        started = time.perf_counter()
        asked = questions()
        for question in asked:
            lexical.retrieve(question, 20)
        figures["query ms"] = 1000 * (time.perf_counter() - started) / len(asked)
        figures["wall s"] = opened
    elif name == "update":
        lexical = LexicalIndex.load(folder)
        ids = store_ids(store)
        article = ids[len(ids) // 2].split("#")[0]
        changed = sorted(i for i in ids if i.split("#")[0] == article)
        new = [(f"{i}~v2", text, title) for i, text, title in iter_chunks(store, changed)]
        started = time.perf_counter()
        keep = [i for i in ids if i not in set(changed)] + [chunk[0] for chunk in new]
        updated = lexical.updated(keep, iter(new))
        updated.save(folder.with_name(folder.name + "-updated"))
        figures["chunks changed"] = len(changed)
        figures["wall s"] = time.perf_counter() - started
        figures["load s"] = started - wall
    figures.setdefault("wall s", time.perf_counter() - wall)
    figures["CPU s"] = time.process_time() - cpu
    figures["peak RSS MB"] = peak_rss_mb()
    if name == "build":
        figures["on disk MB"] = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    return figures


def measure(index: Path, work: Path) -> dict[str, dict]:
    folder = work / "lexical"
    results = {}
    for name in STEPS:
        command = [sys.executable, "-m", "bench.lexical_update", "--step", name]
        command += ["--index", str(index), "--folder", str(folder)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(name, results[name], file=sys.stderr, flush=True)
    return results


def news_index(count: int, work: Path) -> Path:
    """A Chroma folder holding the first `count` news chunks, chunked as the index does
    (random vectors: embedding is not measured)."""
    chunker = VietnameseChunker()
    rng = random.Random(0)
    nodes: list = []
    with gzip.open(NEWS, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            text = f"{record['title']}\n\n{record['lead']}\n\n{record['body']}\n"
            try:
                article = parse_article_bytes(text.encode(), Path(f"news_{record['id']}.txt"))
            except ArticleError:
                continue
            for node in chunker([article_document(article, "v1")]):
                node.embedding = [rng.random() for _ in range(8)]
                nodes.append(node)
            if len(nodes) >= count:
                break
    index = work / f"index-{count}"
    ChunkStore(chroma_client(StoreSettings(), index), f"bench-{count}").upsert(nodes[:count])
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="an index folder (with chroma/ inside)")
    parser.add_argument("--chunks", default="", help="or: news chunk counts, e.g. 1000,10000")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.index, args.folder)))
        return
    if not args.index and not NEWS.is_file():
        print(f"skipped: {NEWS} is not there (the shared data set is needed)")
        return
    with tempfile.TemporaryDirectory(prefix="lexical-bench-") as work:
        if args.index:
            targets = [args.index.expanduser()]
        else:
            targets = [news_index(int(n), Path(work)) for n in args.chunks.split(",") if n]
        if not targets:
            parser.error("give --index or --chunks")

        for target in targets:
            print(f"## {target}")
            for name, figures in measure(target, Path(work) / target.name).items():
                shown = ", ".join(
                    f"{key} {value:,.2f}" if isinstance(value, float) else f"{key} {value:,}"
                    for key, value in figures.items()
                )
                print(f"- {name}: {shown}")


if __name__ == "__main__":
    main()
