"""Embedding throughput through a server: tokens/s in process vs. Infinity at 1/2/4 requests.

    python -m bench embed_server [--base-url URL] [--chunks 96] [--articles 100] [--news PATH]

Workload: `--articles` news articles of ../shared/data/vn_news_dev.jsonl.gz (`--news`) are
indexed once with a recording hashing embedder, which gives every text a real update embeds
(chunks in their document template, then each chunk's sentences) and so the tokens an
article costs; the first `--chunks` of those texts, in update order, are the timed workload.
They are embedded by the in-process fp32 model (`wiring.build_embedder`), then by the server
(`ServerEmbedding`, 16 texts a request) with 1, 2 and 4 requests in flight, each after a
warm-up request. Without `--base-url` an Infinity server is started from
`.venv-embed-server` (`make embed-server-venv`) on a free port and stopped at the end.

Prints Markdown with the machine, date and load average (the client and the server share
the CPU here: on 2 busy cores 1, 2 and 4 requests cannot differ much). Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import tempfile
import time
from pathlib import Path

import chromadb
from pydantic import Field

from assistant.config import load_settings
from assistant.indexing.embeddings import HashingEmbedding
from assistant.indexing.index_service import IndexService
from assistant.indexing.probe import PROBE_DOCUMENTS
from assistant.indexing.server_embedding import ServerEmbedding
from assistant.wiring import build_embedder, server_query_prompt
from bench.chunk_size import PROJECT, machine
from bench.infinity import InfinityServer

NEWS = PROJECT.parent / "shared" / "data" / "vn_news_dev.jsonl.gz"
MODEL = "google/embeddinggemma-300m"
CONCURRENCY = (1, 2, 4)


class Recording(HashingEmbedding):
    """The hashing embedder, keeping every document text it was given."""

    texts: list[str] = Field(default_factory=list)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return [self._vector(text) for text in texts]


def update_texts(news: Path, articles: int, folder: Path) -> list[str]:
    """Every text an update of `articles` news articles embeds, in order."""
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    with gzip.open(news, "rt", encoding="utf-8") as lines:
        for number, line in zip(range(articles), lines, strict=False):
            record = json.loads(line)
            text = f"{record['title']}\n\n{record['lead']}\n\n{record['body']}"
            (corpus / f"{number:05d}.txt").write_text(text, encoding="utf-8")
    settings = load_settings(corpus=corpus, index=folder / "index")
    recording = Recording(256)
    IndexService(settings, "recording", lambda: recording, chromadb.EphemeralClient).update()
    probe = {f"title: {title} | text: {text}" for title, text in PROBE_DOCUMENTS}
    return [text for text in recording.texts if text not in probe]


def tokens_of(texts: list[str], tokenizer, limit: int = 512) -> int:
    return sum(min(len(tokenizer(text)["input_ids"]), limit) for text in texts)


def rate(embedder, texts: list[str], tokens: int) -> float:
    embedder.get_text_embedding_batch(texts[:4])  # warm-up
    started = time.perf_counter()
    embedder.get_text_embedding_batch(texts)
    return tokens / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base-url", help="a running server's URL up to /v1 (default: start one)")
    parser.add_argument("--chunks", type=int, default=96, help="texts in the timed workload")
    parser.add_argument("--articles", type=int, default=100, help="articles for tokens/article")
    parser.add_argument("--news", type=Path, default=NEWS)
    args = parser.parse_args()
    if not args.news.exists():
        print(f"skipped: no news file at {args.news}")
        return
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        texts = update_texts(args.news, args.articles, Path(folder))
    local = build_embedder(load_settings(embedding={"model": MODEL}))
    per_article = tokens_of(texts, local.tokenizer) / args.articles
    work = texts[: args.chunks]
    tokens = tokens_of(work, local.tokenizer)
    rows = [("in process (sentence-transformers fp32)", "–", rate(local, work, tokens))]
    del local

    server = None
    base_url = args.base_url
    if base_url is None:
        model_dir = load_settings().models_dir / MODEL.replace("/", "__")
        server = InfinityServer(model_dir, MODEL, Path(tempfile.mkdtemp()) / "infinity.log")
        server.start()
        base_url = server.base_url
        print(f"(Infinity started in {server.started_in_s:.0f} s)")
    try:
        prompt = server_query_prompt(load_settings(embedding={"model": MODEL}))
        for concurrency in CONCURRENCY:
            embedder = ServerEmbedding(
                base_url, MODEL, query_prompt=prompt, batch_size=16, concurrency=concurrency
            )
            rows.append(("Infinity 0.0.78 server, torch CPU, same machine", concurrency,
                         rate(embedder, work, tokens)))  # fmt: skip
            embedder.close()
    finally:
        if server is not None:
            server.kill()
    load_after = os.getloadavg()

    print(f"\n{machine()}, {dt.date.today()}, load average {load_before[0]:.2f} before / "
          f"{load_after[0]:.2f} after (1 min). {len(work)} texts ({tokens:,} tokens) of "
          f"{args.articles} news articles; an article costs {per_article:,.0f} tokens "
          f"({len(texts) / args.articles:.1f} texts: chunks and sentences).\n")  # fmt: skip
    print("| embedder | requests in flight | tokens/s |\n|---|--:|--:|")
    for name, concurrency, speed in rows:
        print(f"| {name} | {concurrency} | {speed:.0f} |")


if __name__ == "__main__":
    main()
