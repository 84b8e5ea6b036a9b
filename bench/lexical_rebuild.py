"""Lexical-index rebuild benchmark: what one full rebuild costs at 1,000 and 10,000 chunks.

`index update` rebuilds the BM25 index from the chunk texts in Chroma whenever the
collection changed (incremental updates are a later issue), and a reader whose saved
index is stale rebuilds it in memory. This measures those steps on real news text, chunked
by the project's chunker and stored in a Chroma folder (vectors are random: embedding is
not what is measured):

- stamp check: read every chunk id from Chroma and hash them (every update and every
  `open_lexical_index` pays this, even when nothing changed);
- read: chunk texts and titles from Chroma, in pages;
- tokenise + index: `lexical_tokens` on every chunk, then bm25s;
- save (atomic) and load; the saved size on disk;
- query: mean `retrieve` time over the seed questions.

Not measured: embedding, Chroma writes, memory. Wall times depend on whatever else the
machine runs; CPU seconds are given beside them.

Run: .venv/bin/python -m bench.lexical_rebuild [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.config import StoreSettings
from assistant.corpus.reader import parse_article_bytes
from assistant.errors import ArticleError
from assistant.indexing.chunking import VietnameseChunker, article_document
from assistant.indexing.store import ChunkStore, chroma_client
from assistant.retrieval.lexical import (
    LexicalIndex,
    ids_stamp,
    open_lexical_index,
    read_chunks,
    store_ids,
)
from bench.chunk_size import NEWS, QUESTIONS


def news_chunks(count: int) -> list[Any]:
    """The first `count` chunks of the news set, in file order, chunked as the index does."""
    chunker = VietnameseChunker()
    rng = random.Random(0)
    nodes: list[Any] = []
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
                return nodes[:count]
    return nodes


def timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def measure(count: int, work: Path, questions: list[str]) -> dict[str, str]:
    nodes = news_chunks(count)
    store = ChunkStore(chroma_client(StoreSettings(), work / f"index-{count}"), f"bench-{count}")
    store.upsert(nodes)
    folder = work / f"lexical-{count}"
    row = {"chunks": str(store.count())}
    ids, wall, cpu = timed(lambda: store_ids(store))
    _, hash_wall, hash_cpu = timed(lambda: ids_stamp(ids))
    row["stamp check s"] = f"{wall + hash_wall:.2f} ({cpu + hash_cpu:.2f} CPU)"
    chunks, wall, cpu = timed(lambda: read_chunks(store, sorted(ids)))
    row["read s"] = f"{wall:.2f} ({cpu:.2f} CPU)"
    index, wall, cpu = timed(lambda: LexicalIndex.build(*chunks))
    row["tokenise+index s"] = f"{wall:.2f} ({cpu:.2f} CPU)"
    _, wall, cpu = timed(lambda: index.save(folder))
    row["save s"] = f"{wall:.2f} ({cpu:.2f} CPU)"
    size = sum(path.stat().st_size for path in folder.iterdir())
    row["on disk MB"] = f"{size / 1e6:.1f}"
    _, wall, cpu = timed(lambda: LexicalIndex.load(folder))
    row["load s"] = f"{wall:.2f} ({cpu:.2f} CPU)"
    _, wall, cpu = timed(lambda: open_lexical_index(store, folder))
    row["open (check+load) s"] = f"{wall:.2f} ({cpu:.2f} CPU)"
    started = time.perf_counter()
    for question in questions:
        index.retrieve(question, 20)
    row["query ms"] = f"{1000 * (time.perf_counter() - started) / len(questions):.1f}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="chunk counts")
    args = parser.parse_args()
    for needed in (NEWS, QUESTIONS):
        if not needed.is_file():
            print(f"skipped: {needed} is not there (the shared data set is needed)")
            return
    questions = [
        json.loads(line).get("question") or " ".join(json.loads(line)["turns"])
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="lexical-bench-") as work:
        for size in (int(size) for size in args.sizes.split(",")):
            rows.append(measure(size, Path(work), questions))
            print(rows[-1], flush=True)
    header = list(rows[0])
    print("| " + " | ".join(header) + " |")
    print("|" + "---:|" * len(header))
    for row in rows:
        print("| " + " | ".join(row[key] for key in header) + " |")


if __name__ == "__main__":
    main()
