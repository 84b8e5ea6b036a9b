"""Scale benchmark: our pipeline against the llama-index default a user would build, at N articles.

    python -m bench scale --sizes 100,300,1000 [--work DIR] [--runs 3] [--build-runs R]
        [--embedder sentence-transformers|hashing] [--reuse] [--queries-only] [--out FILE]

For each N the corpus is the seed article plus N articles of ../shared/data/vn_news_dev.jsonl.gz
(picked by `bench.chunk_size.pick_distractors`, so the hard "đảng viên" distractors come
first; skipped with a message when the file is absent). Two pipelines index the same
articles with the same embedding settings:

- ours: `build_index_service(settings).update()` (chunks of 400 chars, Chroma, BM25 over our
  Vietnamese tokens), queried through `build_assistant(settings, service)`;
- default: `Document(title + body)` per article, `VectorStoreIndex.from_documents(...,
  embed_model=..., transformations=[SentenceSplitter()])` (1024 tokens, overlap 200, the
  in-memory SimpleVectorStore), `as_retriever(similarity_top_k=5)`, and
  `BM25Retriever.from_defaults(nodes=..., similarity_top_k=5)` (English stemmer and
  stopwords, its defaults) when llama-index-retrievers-bm25 is installed.

Indexing: every build runs in a fresh subprocess (`bench.scale_build`) that loads the model,
then builds into an empty folder; it reports wall and CPU time, chunks, tokens (the real
model's tokenizer, on the text as embedded), peak RSS (VmHWM of that process) and model
load time, each the median of --build-runs builds (default --runs). The last build stays
cached under --work per model and N; `--reuse` takes a cached build as it is and shows
the figures it was measured with. `--queries-only` leaves the default pipeline out and
builds ours only when no build is cached: the check of query latency at 30,000 articles,
where the vectors come from the hashing embedder (the real model would take a day to embed
them); with it, `--real-query-embedding` (on by default) times the real model embedding
the questions, to add to the hashing figures.

Queries, in this process, with one embedding model instance for both pipelines (our
service's): the answerable single-question seed cases of evals/seed.yaml. Each timed query
is that question's first time: the model's query-embedding cache is cleared before each one.
Ours: retrieval (the hybrid retriever, on the question as `ask` rewrites it) and a whole
extractive `ask`; default: vector and BM25 retrieval. Quality at k = 5: hit@5 (a passage of
the gold article in the top 5) and ans@5 (the gold article's passages in the top 5 state the
gold answer, `assistant.evaluation.matching`). Timing figures are medians over --runs rounds.

The report goes to stdout and to --out (default bench/results/scale-DATE-EMBEDDER-SIZES.md,
not git-ignored: commit the ones worth keeping). Progress goes to stderr.

Not measured: LLM answers, follow-ups, abstention, concurrent users, disk use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.answer_quality import percentile
from bench.chunk_size import NEWS, PROJECT
from bench.scale_build import TOP_K, cached_build, prepare_corpus, run_build, settings_for
from bench.scale_report import machine, report

QUESTIONS = PROJECT / "evals" / "seed.yaml"
CACHE = Path.home() / ".cache" / "vn-report-assistant" / "bench" / "scale"
WARM_UP = "Câu hỏi khởi động để nạp mô hình?"


@dataclass
class SizeResult:
    n: int
    articles: int = 0
    builds: dict[str, dict] = field(default_factory=dict)  # pipeline -> median figures
    load_s: float = 0.0  # model load in the query process
    model: str = ""  # the name vectors are filed under (says int8 or hashing)
    cache: str = ""  # the query cache cleared before each timed query ("" if none)
    latency: dict[str, list[list[float]]] = field(default_factory=dict)  # name -> runs -> ms
    hits: dict[str, dict[str, tuple[bool, bool]]] = field(default_factory=dict)  # (hit, ans)

    def percentiles(self, name: str) -> tuple[float, float] | None:
        runs = self.latency.get(name)
        if not runs:
            return None
        return (
            statistics.median(percentile(run, 50) for run in runs),
            statistics.median(percentile(run, 95) for run in runs),
        )


def seed_cases() -> list:
    """The answerable single-question cases of the seed suite (they name a gold article)."""
    from assistant.evaluation.suite import load_suite

    return [
        case
        for case in load_suite(QUESTIONS).cases
        if case.question and case.expect.answers and case.article
    ]


def unreachable_cases() -> list[str]:
    """Cases whose answer is not in the gold article's title or body (e.g. the byline's)."""
    from assistant.corpus.reader import read_article
    from assistant.evaluation.matching import answer_matches
    from bench.chunk_size import SEED

    article = read_article(SEED, SEED.parent, 10_000_000)
    text = f"{article.title}\n{article.body}"
    return [
        case.id
        for case in seed_cases()
        if not answer_matches(case.expect.answers, text, match=case.expect.match)
    ]


def clear_query_cache(embedder) -> str:
    """Forget the questions `embedder` remembers, so the next query embedding is a first one."""
    if hasattr(embedder, "clear_query_cache"):
        embedder.clear_query_cache()
        return "clear_query_cache()"
    return ""  # the hashing fake has no cache


def timed(action, *args):
    started = time.perf_counter()
    value = action(*args)
    return value, 1000 * (time.perf_counter() - started)


def scored(case, hits: list[tuple[str, str]]) -> tuple[bool, bool]:
    """(gold article in the top k, its passages there state the gold answer)."""
    from assistant.evaluation.matching import answer_matches

    gold = " \n".join(text for article, text in hits if article == case.article)
    found = bool(gold) and answer_matches(case.expect.answers, gold, match=case.expect.match)
    return any(article == case.article for article, _ in hits), found


def open_default(folder: Path, embedder) -> dict:
    """The default pipeline's retrievers, loaded from what its build persisted."""
    from llama_index.core import StorageContext, load_index_from_storage

    context = StorageContext.from_defaults(persist_dir=str(folder / "default" / "vector"))
    index = load_index_from_storage(context, embed_model=embedder)
    retrievers = {"default vector": index.as_retriever(similarity_top_k=TOP_K)}
    bm25_dir = folder / "default" / "bm25"
    if bm25_dir.is_dir():
        from llama_index.retrievers.bm25 import BM25Retriever

        retrievers["default BM25"] = BM25Retriever.from_persist_dir(str(bm25_dir))
    return retrievers


def measure_queries(result: SizeResult, folder: Path, embedder: str, runs: int, default: bool):
    from assistant.answering.question import analyse
    from assistant.wiring import build_assistant, build_index_service, effective_model_name

    settings = settings_for(folder, embedder)
    service = build_index_service(settings)
    started = time.perf_counter()
    model = service.embedder
    model.get_text_embedding_batch(["khởi động"])  # first call pays one-off set-up
    result.load_s = time.perf_counter() - started
    result.model = effective_model_name(settings)
    result.cache = clear_query_cache(model)
    assistant = build_assistant(settings, service)
    others = open_default(folder, model) if default else {}
    cases = seed_cases()

    def ours_retrieve(question: str) -> list[tuple[str, str]]:
        passages = assistant.retriever.retrieve(analyse(question).search_text, TOP_K)
        return [(passage.article_id, passage.text) for passage in passages]

    searches = {"ours retrieve": ours_retrieve}
    for name, retriever in others.items():
        searches[name] = lambda q, r=retriever: [(h.node.ref_doc_id, h.node.get_content())
                                                 for h in r.retrieve(q)]  # fmt: skip
    assistant.ask(WARM_UP)
    for search in searches.values():
        search(WARM_UP)
    for round_number in range(runs):
        for name in [*searches, "ours ask"]:
            result.latency.setdefault(name, []).append([])
        for case in cases:
            for name, search in searches.items():
                clear_query_cache(model)
                hits, ms = timed(search, case.question)
                result.latency[name][-1].append(ms)
                if round_number == 0:
                    result.hits.setdefault(name, {})[case.id] = scored(case, hits)
            clear_query_cache(model)
            result.latency["ours ask"][-1].append(timed(assistant.ask, case.question)[1])


def real_query_embedding(runs: int) -> tuple[float, float] | str:
    """p50/p95 ms of the real model embedding each seed question anew, or why not measured."""
    from assistant.config import load_settings
    from assistant.errors import ModelError
    from assistant.wiring import build_embedder

    try:
        model = build_embedder(load_settings(embedding={"backend": "sentence-transformers"}))
    except ModelError as error:
        return f"not measured: {error}"
    model.get_query_embedding(WARM_UP)
    rounds = []
    for _ in range(runs):
        times = []
        for case in seed_cases():
            clear_query_cache(model)
            times.append(timed(model.get_query_embedding, case.question)[1])
        rounds.append(times)
    return (
        statistics.median(percentile(r, 50) for r in rounds),
        statistics.median(percentile(r, 95) for r in rounds),
    )


def median_build(figures: list[dict]) -> dict:
    """Per numeric figure, the median over the runs (counts are the same in every run)."""
    merged = dict(figures[-1])
    for key, value in figures[-1].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            merged[key] = statistics.median(run[key] for run in figures)
    merged["runs"] = len(figures)
    return merged


def run_size(n: int, args: argparse.Namespace) -> SizeResult:
    from assistant.wiring import effective_model_name

    # One cache per model as vectors are filed (an int8 variant set by the environment too).
    model = effective_model_name(settings_for(args.work, args.embedder)).replace("/", "__")
    folder = args.work / model / f"n{n}"
    result = SizeResult(n, articles=prepare_corpus(folder, n))
    pipelines = ["ours"] if args.queries_only else ["ours", "default"]
    for pipeline in pipelines:
        cached = cached_build(folder, pipeline)
        if cached and (args.reuse or args.queries_only):
            result.builds[pipeline] = cached | {"reused": True}
            continue
        figures = []
        for run in range(args.build_runs):
            log(f"N={n}: building {pipeline} ({run + 1}/{args.build_runs}) …")
            figures.append(run_build(pipeline, folder, args.embedder, args.in_process))
            log(f"  {figures[-1]['wall_s']:.1f} s, {figures[-1]['chunks']} chunks")
        result.builds[pipeline] = median_build(figures)
    log(f"N={n}: queries ({args.runs} rounds) …")
    measure_queries(result, folder, args.embedder, args.runs, not args.queries_only)
    return result


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000", help="comma-separated article counts")
    parser.add_argument("--work", type=Path, default=CACHE, help=f"cache folder ({CACHE})")
    parser.add_argument(
        "--runs", type=int, default=3, help="query rounds; timings are medians over them"
    )
    parser.add_argument(
        "--build-runs", type=int, help="fresh builds per pipeline and N (default: --runs)"
    )
    parser.add_argument(
        "--embedder", choices=["sentence-transformers", "hashing"], default="sentence-transformers"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="take cached builds as they are (figures from when built)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="build in this process: quicker (tests), but peak RSS is then this process's",
    )
    parser.add_argument(
        "--queries-only",
        action="store_true",
        help="our pipeline only, built only if not cached (the 30,000-article latency check)",
    )
    parser.add_argument(
        "--real-query-embedding",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --embedder hashing, also time the real model embedding the questions",
    )
    parser.add_argument("--out", type=Path, help="Markdown report (bench/results/scale-….md)")
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    args.build_runs = args.build_runs or args.runs
    if min(args.sizes) < 1 or args.runs < 1 or args.build_runs < 1:
        parser.error("sizes and runs must be at least 1")
    if args.out is None:
        sizes = "-".join(map(str, args.sizes))
        name = f"scale-{dt.date.today().isoformat()}-{args.embedder}-{sizes}.md"
        args.out = PROJECT / "bench" / "results" / name
    return args


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    args = parse(raw)
    if not NEWS.is_file():
        print(f"skipped: {NEWS} is not there (the shared news data set is needed)")
        return 0
    os.environ.setdefault("TQDM_DISABLE", "1")  # bm25s's progress bars, also in the builds
    started = dt.datetime.now().astimezone()
    load_before = os.getloadavg()
    results = [run_size(n, args) for n in args.sizes]
    embedding = None
    if args.embedder == "hashing" and args.real_query_embedding:
        embedding = real_query_embedding(args.runs)
    text = report(
        results,
        command="python -m bench scale " + shlex.join(raw),
        started=started,
        machine=machine(load_before, os.getloadavg()),
        embedder=args.embedder,
        real_query_embedding=embedding,
        questions=len(seed_cases()),
        unreachable=unreachable_cases(),
    )
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
