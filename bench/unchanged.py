"""Update over unchanged articles: what `index update` and `index status` cost when nothing changed.

An update recognises an indexed article's file from its stamp (size and mtime, then the
sha256 of its bytes) before reading it (issue 16). This writes N news articles of
../shared/data/vn_news_dev.jsonl.gz (default 1,000) as `.txt` files into a temporary
corpus, indexes them with the hashing embedder (embedding is not what is measured), then
times, each three times (best shown):

- update: `index update` over the unchanged corpus, with the number of files read and
  parsed (both 0 when the stamps hold);
- status: `index status`, the same scan;
- parse all: the scan as it was before stamps, every file read and parsed;
- touched: an update after every file's mtime moved (each file read and hashed, none
  parsed; the new mtimes are recorded, so the next update reads none again).

    .venv/bin/python -m bench unchanged [--articles 1000]

Skipped cleanly when the shared data set is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assistant.config import load_settings
from assistant.corpus import reader
from assistant.wiring import build_index_service
from bench.chunk_size import NEWS


def write_corpus(folder: Path, count: int) -> int:
    folder.mkdir(parents=True)
    written = 0
    with gzip.open(NEWS, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            body = "\n\n".join(part for part in (row.get("lead"), row.get("body")) if part)
            if not row.get("title") or len(body) < 200:
                continue
            (folder / f"{row['id']}.txt").write_text(f"{row['title']}\n\n{body}\n", "utf-8")
            written += 1
            if written == count:
                break
    return written


def best_of(runs: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def count_reads(patch: Callable[[object, str, object], None]) -> dict[str, int]:
    """Counts of the files the corpus reader reads and parses from now on; `patch`
    (`setattr`, or pytest's `monkeypatch.setattr`) swaps in the counting versions."""
    calls = {"read": 0, "parsed": 0}

    def counting(name: str, key: str) -> Callable:
        original = getattr(reader, name)

        def counted(*args):
            calls[key] += 1
            return original(*args)

        return counted

    patch(reader, "_read_bytes", counting("_read_bytes", "read"))
    patch(reader, "parse_article_bytes", counting("parse_article_bytes", "parsed"))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    if not NEWS.is_file():
        print(f"skipped: {NEWS} is not there (the shared data set is needed)")
        return
    calls = count_reads(setattr)
    with tempfile.TemporaryDirectory(prefix="unchanged-bench-") as work:
        corpus = Path(work) / "corpus"
        count = write_corpus(corpus, args.articles)
        settings = load_settings(
            corpus=corpus, index=Path(work) / "index", embedding={"backend": "hashing"}
        )
        service = build_index_service(settings)
        started = time.perf_counter()
        first = service.update()
        build = time.perf_counter() - started
        print(
            f"# python -m bench unchanged, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
            f"{os.cpu_count()} cores\n"
        )
        print(
            f"{count} articles indexed (hashing embedder) in {build:.1f} s: {first.added} added\n"
        )
        print("| step | best of 3 | files read | files parsed |\n|---|--:|--:|--:|")
        for name, work_ in (
            ("update, nothing changed", service.update),
            ("status, nothing changed", service.status),
            (
                "scan parsing every file (before stamps)",
                lambda: reader.scan_corpus(corpus, settings.max_file_bytes),
            ),
        ):
            calls.update(read=0, parsed=0)
            seconds, _ = best_of(3, work_)
            print(f"| {name} | {seconds:.2f} s | {calls['read'] // 3} | {calls['parsed'] // 3} |")
        for path in corpus.iterdir():
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
        calls.update(read=0, parsed=0)
        started = time.perf_counter()
        report = service.update()
        seconds = time.perf_counter() - started
        print(
            f"| update after every mtime moved | {seconds:.2f} s | {calls['read']} | "
            f"{calls['parsed']} |"
        )
        assert report.unchanged == count, report


if __name__ == "__main__":
    main()
