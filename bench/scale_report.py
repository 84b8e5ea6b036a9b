"""The Markdown report of `bench.scale`: machine, versions, indexing, latency, quality, ratios.

Not here: measuring anything (`bench.scale`, `bench.scale_build`).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata

from bench.chunk_size import proc_value

PACKAGES = (
    "llama-index-core",
    "llama-index-retrievers-bm25",
    "llama-index-vector-stores-chroma",
    "chromadb",
    "bm25s",
    "PyStemmer",
    "sentence-transformers",
    "transformers",
    "torch",
)
LATENCIES = ("ours retrieve", "ours ask", "default vector", "default BM25")
QUALITIES = ("ours retrieve", "default vector", "default BM25")


def machine(load_before: tuple, load_after: tuple) -> str:
    cpu = proc_value("cpuinfo", "model name") or "unknown CPU"
    kib = proc_value("meminfo", "MemTotal")
    memory = f"{int(kib.split()[0]) / 1024**2:.1f} GiB" if kib else "unknown"
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory} RAM; load average "
        f"{load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end"
    )


def versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return f"Python {platform.python_version()}, " + ", ".join(found)


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _ratio(ours: float | None, other: float | None) -> str:
    if not ours or not other:
        return "–"
    return f"{ours / other:.2f}×"


def indexing_table(results: list) -> str:
    rows = [
        "| N | pipeline | articles | chunks | tokens embedded | truncated | wall s | CPU s "
        "| tokens/s | chunks/s | peak RSS MB (after load) | model load s | runs |",
        "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        for name, b in r.builds.items():
            parts = ""
            if name == "default":
                parts = f" (vector {b['vector_s']:.1f} + BM25 {_num(b.get('bm25_s'), 1)})"
            rows.append(
                f"| {r.n} | {name} | {b['articles']} | {b['chunks']:,} | {b['tokens']:,} "
                f"| {b['truncated']} | {b['wall_s']:.1f}{parts} | {b['cpu_s']:.1f} "
                f"| {b['tokens_per_s']:,.0f} | {b['chunks_per_s']:.1f} "
                f"| {b['rss_mb']:,.0f} ({b['rss_loaded_mb']:,.0f}) | {b['load_s']:.1f} "
                f"| {'cached, built ' + b['built_at'] if b.get('reused') else b['runs']} |"
            )
    return "\n".join(rows)


def latency_table(results: list) -> str:
    present = [name for name in LATENCIES if any(name in r.latency for r in results)]
    rows = [
        "| N | model load s | " + " | ".join(f"{name} p50 / p95 ms" for name in present) + " |",
        "|--:|--:|" + "--:|" * len(present),
    ]
    for r in results:
        cells = []
        for name in present:
            got = r.percentiles(name)
            cells.append(f"{got[0]:.1f} / {got[1]:.1f}" if got else "–")
        rows.append(f"| {r.n} | {r.load_s:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def quality_table(results: list, questions: int) -> str:
    present = [name for name in QUALITIES if any(name in r.hits for r in results)]
    rows = [
        "| N | "
        + " | ".join(f"{name} hit@5 / ans@5" for name in present)
        + " | answer not in the top 5 |",
        "|--:|" + "--:|" * len(present) + "---|",
    ]
    for r in results:
        cells, missed = [], []
        for name in present:
            got = r.hits.get(name, {})
            cells.append(
                f"{sum(h for h, _ in got.values())} / {sum(a for _, a in got.values())}"
                f" of {questions}"
            )
            short = name.replace(" retrieve", "")
            lost = [f"{case}{'' if h else ' (no hit)'}" for case, (h, a) in got.items() if not a]
            if lost:
                missed.append(f"{short}: {', '.join(lost)}")
        rows.append(f"| {r.n} | " + " | ".join(cells) + f" | {'; '.join(missed) or '–'} |")
    return "\n".join(rows)


def ratio_table(results: list) -> str:
    rows = [
        "| N | indexing wall | chunks | tokens embedded | peak RSS | retrieve p50 | retrieve p95 "
        "| hit@5 ours vs vector | ans@5 ours vs vector |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        ours, other = r.builds.get("ours", {}), r.builds.get("default", {})
        mine, theirs = r.percentiles("ours retrieve"), r.percentiles("default vector")
        hits, vector = r.hits.get("ours retrieve", {}), r.hits.get("default vector", {})
        if not theirs:
            continue
        rows.append(
            f"| {r.n} | {_ratio(ours.get('wall_s'), other.get('wall_s'))} "
            f"| {_ratio(ours.get('chunks'), other.get('chunks'))} "
            f"| {_ratio(ours.get('tokens'), other.get('tokens'))} "
            f"| {_ratio(ours.get('rss_mb'), other.get('rss_mb'))} "
            f"| {_ratio(mine[0], theirs[0])} | {_ratio(mine[1], theirs[1])} "
            f"| {sum(h for h, _ in hits.values())} vs {sum(h for h, _ in vector.values())} "
            f"| {sum(a for _, a in hits.values())} vs {sum(a for _, a in vector.values())} |"
        )
    return "\n".join(rows) if len(rows) > 2 else "Not measured: the default pipeline was skipped."


def report(
    results: list,
    *,
    command: str,
    started: dt.datetime,
    machine: str,
    embedder: str,
    real_query_embedding: tuple[float, float] | str | None,
    questions: int,
    unreachable: list[str],
) -> str:
    units = {b.get("token_unit") for r in results for b in r.builds.values()}
    models = sorted({r.model for r in results})
    caches = sorted({r.cache for r in results if r.cache})
    skipped = {b["bm25_skipped"] for r in results for b in r.builds.values() if "bm25_skipped" in b}
    lines = [
        f"# Scale: our pipeline vs the llama-index default ({started:%Y-%m-%d %H:%M %Z})",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine}",
        f"- Versions: {versions()}",
        f"- Embedder: `{embedder}`, model {', '.join(models)}; tokens counted with: "
        f"{', '.join(sorted(map(str, units)))}",
        "- Query timing: warm process, one warm-up question; "
        + (
            f"the model's query cache (`{', '.join(caches)}`) is cleared before every timed "
            "query, so each is that question's first time"
            if caches
            else "the embedder keeps no query cache"
        ),
        "- Corpus per N: the seed article + N articles of vn_news_dev.jsonl.gz "
        '(hard "đảng viên" distractors first).',
    ]
    if embedder == "hashing":
        lines.append(
            "- **Vectors come from the hashing embedder** (a bag-of-words hash, not the real "
            "model; embedding 30,000 articles with EmbeddingGemma takes about a day here). "
            "Latency of everything but embedding the question is representative; quality is "
            "not, and indexing throughput says nothing about the real model."
        )
        if isinstance(real_query_embedding, tuple):
            p50, p95 = real_query_embedding
            lines.append(
                f"- The real model embeds one new seed question in {p50:.0f} ms p50 / "
                f"{p95:.0f} ms p95 (measured in this run, cache cleared): add that to the "
                "hashing `ask` figures for an estimate with the real model (its 768-d vectors "
                "also make the Chroma search a little slower than the 256-d hash)."
            )
        elif real_query_embedding:
            lines.append(f"- Real model query embedding: {real_query_embedding}")
    lines += [f"- Default pipeline BM25: skipped, {reason}" for reason in sorted(skipped)]
    lines += [
        "",
        "## Indexing (a fresh build in a new process; medians over the runs)",
        "",
        "Tokens: the text as embedded (ours: `title: … | text: …`; default: title and body "
        "chunks), capped at max_seq_length; `truncated`: chunks longer than that, cut by the "
        "model. Peak RSS: VmHWM of the build process (after loading the model in "
        "brackets). Model load includes one embedding call. `runs`: fresh builds the "
        "figures are the median of, or the date of a cached build that `--reuse` or "
        "`--queries-only` took as it was (its figures are from that build).",
        "",
        indexing_table(results),
        "",
        "## Query latency (warm process; every query its first time, cache cleared)",
        "",
        "`ours retrieve`: the hybrid retriever (dense + BM25, fused) on the question as `ask` "
        "rewrites it; `ours ask`: a whole extractive answer; `default vector` / `default BM25`: "
        "llama-index's retrievers, top 5. One embedding model instance serves both pipelines.",
        "",
        latency_table(results),
        "",
        f"## Retrieval quality ({questions} answerable seed questions, k = 5)",
        "",
        "hit@5: a passage of the gold article in the top 5; ans@5: the gold article's "
        "passages in the top 5 state the gold answer (format-tolerant matching of the evals)."
        + (
            f" The answers of {', '.join(unreachable)} are not in the article's title or body "
            "(the byline's author and date), so no chunk text can hold them."
            if unreachable
            else ""
        ),
        "",
        quality_table(results, questions),
        "",
        "## Ours as ratios to the default (ours ÷ default; below 1 is less)",
        "",
        "Indexing against the whole default build (vector index + BM25); retrieval against "
        "its vector retriever.",
        "",
        ratio_table(results),
        "",
    ]
    return "\n".join(lines)
