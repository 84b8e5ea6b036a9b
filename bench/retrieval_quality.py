"""Retrieval-quality benchmark: dense, lexical (per tokeniser) and hybrid, on the seed questions.

Two parts, over the seed article plus news articles about the Party as hard distractors
(picked as in `bench/chunk_size.py`; the news data is read in place, never copied into the
project), asking every answerable seed question (a follow-up as its turns joined):

1. Tokenisers, lexical only, over many distractors (`--lexical-distractors`, chunked but
   not embedded, so it is cheap): BM25 (`LexicalIndex`) with bm25s's default split (what
   llama-index's BM25Retriever uses, without its English stopwords), syllables + folded
   forms, + syllable pairs (the default), + pairs with the stopword list, + pyvi words,
   + underthesea words (the segmenters only if installed; they are not dependencies).
2. Retrievers, over fewer distractors embedded with the real model (`--distractors`):
   dense (`DenseRetriever`), each lexical variant, and `HybridRetriever` (reciprocal rank
   fusion of dense top 20 and lexical top 20) per variant, plus the default without the
   coverage gate (plain RRF).

Per configuration: seed@1/@5 (a passage from the seed article ranks 1st / in the top 5) and
answer@1/@5 (a *seed* passage there holds the gold answer: a distractor holding "2" is not
a citation). A gold answer that is one number, percent or date matches by canonical value
(`27.350` = `27350`); other answers match as text on token boundaries. seed-16 and seed-17
are answered by the byline (metadata, not chunk text), so answer metrics leave them out.
Also: CPU time to tokenise and index the corpus, and mean query time (wall and CPU).

Not measured: reranking, answering, abstention. One seed article and 22 questions: a
difference of one question is noise. Needs the shared data set (skips cleanly without it)
and a fetched model.

Run: .venv/bin/python -m bench.retrieval_quality [--distractors 40]
     [--lexical-distractors 300] [--work DIR]
(`--work` keeps the embedded index between runs: a second run embeds only new articles,
so run small N first and grow it.)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.schema import MetadataMode

from assistant.config import load_settings
from assistant.indexing.chunking import article_document
from assistant.indexing.index_service import IndexService
from assistant.indexing.lexical import LexicalIndex, read_chunks, store_ids
from assistant.indexing.store import chroma_client
from assistant.indexing.updater import article_version
from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import LexicalRetriever
from assistant.retrieval.passage import Passage
from assistant.text.normalize import normalize_inline
from assistant.text.quantities import find_quantities, quantity_keys
from assistant.text.tokens import lexical_tokens
from assistant.wiring import build_embedder, effective_model_name
from bench.chunk_size import NEWS, QUESTIONS, SEED, build_corpus, holds_answer, pick_distractors

TOP_K = 5


@dataclass
class Case:
    id: str
    text: str
    answers: list[str]
    match_all: bool
    in_body: bool = True  # whether the seed body holds the answer at all


@dataclass
class Result:
    name: str
    seed_ranks: dict[str, int | None] = field(default_factory=dict)
    answer_ranks: dict[str, int | None] = field(default_factory=dict)
    build_s: float = 0.0
    query_ms: list[float] = field(default_factory=list)
    query_cpu_ms: list[float] = field(default_factory=list)

    def hits(self, ranks: dict[str, int | None], k: int) -> int:
        return sum(1 for rank in ranks.values() if rank and rank <= k)


def load_cases(path: Path, seed_body: str) -> list[Case]:
    """Answerable seed questions; a follow-up is asked as its turns joined by a space."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        if not raw.get("answers"):
            continue
        text = raw["question"] if "question" in raw else " ".join(raw["turns"])
        case = Case(raw["id"], text, [normalize_inline(a) for a in raw["answers"]],
                    raw.get("match") == "all")  # fmt: skip
        case.in_body = holds_gold(seed_body, case)
        cases.append(case)
    return cases


def holds_gold(text: str, case: Case) -> bool:
    """Whether `text` holds the answer: by canonical value for a lone quantity, else as text."""

    def found(answer: str) -> bool:
        quantities = find_quantities(answer)
        if len(quantities) == 1 and quantities[0].text == answer:
            return quantities[0].key in quantity_keys(text)
        return holds_answer(text, _Gold([answer]))

    hits = [found(answer) for answer in case.answers]
    return all(hits) if case.match_all else any(hits)


@dataclass
class _Gold:  # the shape bench.chunk_size.holds_answer reads
    answers: list[str]
    match_all: bool = False


def tokenizers() -> dict[str, Callable[[str], list[str]]]:
    """The lexical variants; the segmenters are imported only here (not dependencies)."""
    bm25s_split = re.compile(r"(?u)\b\w\w+\b")
    variants: dict[str, Callable[[str], list[str]]] = {
        "bm25s default split": lambda text: bm25s_split.findall(text.lower()),
        "syllables+folded": lambda text: lexical_tokens(text, word_units="none"),
        "+ syllable pairs (default)": lexical_tokens,
        "+ pairs, stopwords removed": lambda text: lexical_tokens(text, stopwords=True),
    }
    try:
        from pyvi import ViTokenizer

        def pyvi_words(phrase: str) -> list[str]:
            return ViTokenizer.tokenize(phrase).split()

        variants["+ pyvi words"] = lambda text: lexical_tokens(text, word_units=pyvi_words)
    except ImportError:
        print("pyvi is not installed: its variant is skipped")
    try:
        from underthesea import word_tokenize

        variants["+ underthesea words"] = lambda text: lexical_tokens(
            text, word_units=word_tokenize
        )
    except ImportError:
        print("underthesea is not installed: its variant is skipped")
    return variants


def passage_hits(passages: list[Passage]) -> list[tuple[str, str]]:
    return [(passage.article_id, passage.text) for passage in passages]


def first_rank(flags: list[bool]) -> int | None:
    return next((rank for rank, flag in enumerate(flags, 1) if flag), None)


def score(result: Result, case: Case, hits: list[tuple[str, str]]) -> None:
    """Record ranks for one question; `hits` are (article_id, text) best first."""
    result.seed_ranks[case.id] = first_rank([article == SEED.name for article, _ in hits])
    if case.in_body:
        result.answer_ranks[case.id] = first_rank(
            [article == SEED.name and holds_gold(text, case) for article, text in hits]
        )


def ask(result: Result, case: Case, search: Callable[[str], list[tuple[str, str]]]) -> None:
    """Time one question through `search` (question -> (article_id, text) best first)."""
    started, cpu = time.perf_counter(), time.process_time()
    hits = search(case.text)
    result.query_ms.append(1000 * (time.perf_counter() - started))
    result.query_cpu_ms.append(1000 * (time.process_time() - cpu))
    score(result, case, hits)


def table(results: list[Result], cases: list[Case]) -> str:
    seeds, answers = len(cases), sum(1 for case in cases if case.in_body)
    rows = [
        f"| configuration | seed@1 /{seeds} | seed@5 /{seeds} | answer@1 /{answers} "
        f"| answer@5 /{answers} | tokenise+index CPU s | query ms wall (CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {r.name} | {r.hits(r.seed_ranks, 1)} | {r.hits(r.seed_ranks, 5)} "
            f"| {r.hits(r.answer_ranks, 1)} | {r.hits(r.answer_ranks, 5)} "
            f"| {r.build_s:.1f} | {statistics.mean(r.query_ms):.1f} "
            f"({statistics.mean(r.query_cpu_ms):.1f}) |"
        )
    return "\n".join(rows)


def rank_table(results: list[Result], cases: list[Case]) -> str:
    """Per question: rank of the first seed passage holding the answer ('-': not in top 5)."""
    rows = ["| question | " + " | ".join(r.name for r in results) + " |"]
    rows.append("|---|" + "---:|" * len(results))
    for case in cases:
        ranks = [r.answer_ranks.get(case.id) if case.in_body else r.seed_ranks.get(case.id)
                 for r in results]  # fmt: skip
        cells = " | ".join(str(rank) if rank else "-" for rank in ranks)
        note = "" if case.in_body else " (seed rank)"
        rows.append(f"| {case.id}{note} | {cells} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--distractors", type=int, default=40, help="news articles embedded beside the seed"
    )
    parser.add_argument(
        "--lexical-distractors",
        type=int,
        default=300,
        help="news articles beside the seed for the lexical-only comparison (not embedded)",
    )
    parser.add_argument("--work", type=Path, help="folder kept between runs (default: temp)")
    args = parser.parse_args()
    for needed in (NEWS, QUESTIONS):
        if not needed.is_file():
            print(f"skipped: {needed} is not there (the shared data set is needed)")
            return
    with tempfile.TemporaryDirectory(prefix="retrieval-bench-") as temp:
        work = args.work or Path(temp)
        compare_tokenizers(work, args.lexical_distractors)
        compare_retrievers(work, args.distractors)


def fill_corpus(folder: Path, distractors: list[dict]) -> None:
    """Make `folder` hold the seed and exactly these distractors (written afresh if absent).

    One folder and one index serve every N: going from 40 to 150 distractors embeds only the
    110 new articles (the picks for N are the first N of the picks for a larger N).
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        build_corpus(Path(temp) / "corpus", distractors)
        wanted = {path.name: path for path in (Path(temp) / "corpus").iterdir()}
        for path in folder.iterdir():
            if path.name not in wanted:
                path.unlink()
        for name, path in wanted.items():
            target = folder / name
            if not target.exists() or target.read_bytes() != path.read_bytes():
                target.write_bytes(path.read_bytes())


@dataclass
class Chunks:
    ids: list[str]
    texts: list[str]
    titles: list[str]
    articles: list[str]


def lexical_runs(chunks: Chunks, cases: list[Case]) -> list[tuple[Result, LexicalIndex]]:
    """Every tokeniser variant over `chunks`: build, then ask every question."""
    by_id = dict(zip(chunks.ids, zip(chunks.articles, chunks.texts, strict=True), strict=True))
    runs = []
    for name, tokenize in tokenizers().items():
        started = time.process_time()
        index = LexicalIndex.build(chunks.ids, chunks.texts, chunks.titles, tokenize=tokenize)
        result = Result(f"lexical: {name}", build_s=time.process_time() - started)
        for case in cases:
            ask(
                result,
                case,
                lambda q, i=index: [by_id[c] for c, _ in LexicalRetriever(i).retrieve(q, TOP_K)],
            )
        runs.append((result, index))
        print(f"{name}: tokenised and indexed in {result.build_s:.1f} CPU s", flush=True)
    return runs


def compare_tokenizers(work: Path, distractors: int) -> None:
    """Lexical retrieval only, over many distractors: chunked, not embedded, so it is cheap."""
    corpus = work / "corpus-lexical"
    fill_corpus(corpus, pick_distractors(NEWS, distractors))
    settings = load_settings(corpus=corpus, index=work / "index-lexical")
    service = IndexService(settings, "none", lambda: None, lambda: None)  # chunker only
    articles = service.scan().articles
    chunks = Chunks([], [], [], [])
    for article in articles:
        version = article_version(article, service.chunker)
        for node in service.chunker([article_document(article, version)]):
            chunks.ids.append(node.node_id)
            chunks.texts.append(node.get_content(metadata_mode=MetadataMode.NONE))
            chunks.titles.append(article.title)
            chunks.articles.append(article.id)
    seed_body = next(a.body for a in articles if a.id == SEED.name)
    cases = load_cases(QUESTIONS, seed_body)
    print(f"lexical comparison: {distractors} distractors, {len(chunks.ids)} chunks")
    results = [result for result, _ in lexical_runs(chunks, cases)]
    print(f"\n### Lexical only: {distractors} distractors, {len(chunks.ids)} chunks, top {TOP_K}\n")
    print(table(results, cases))
    print()
    print(rank_table(results, cases))
    print()


def compare_retrievers(work: Path, distractors: int) -> None:
    """Dense, lexical and hybrid over the seed and `distractors` embedded news articles."""
    corpus = work / "corpus"
    fill_corpus(corpus, pick_distractors(NEWS, distractors))
    settings = load_settings(corpus=corpus, index=work / "index")
    embedder = build_embedder(settings)
    service = IndexService(  # one model instance for indexing and questions
        settings,
        effective_model_name(settings),
        embedder_factory=lambda: embedder,
        client_factory=lambda: chroma_client(settings.store, settings.index),
    )
    started = time.perf_counter()
    report = service.update(
        lambda done, todo, chunks: print(f"\rindexed {done}/{todo} ({chunks} chunks)", end="")
    )
    print(f"\nupdate: {report.chunks_embedded} chunks embedded in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    store = service.open_store()
    ids, texts, titles = read_chunks(store, sorted(store_ids(store)))
    chunks = Chunks(ids, texts, titles, [m["article_id"] for m in _metas(store, ids)])
    seed_body = next(a.body for a in service.scan().articles if a.id == SEED.name)
    cases = load_cases(QUESTIONS, seed_body)

    dense = DenseRetriever(store, embedder)
    dense.retrieve("khởi động", k=TOP_K)  # warm-up, not timed
    results = [Result("dense")]
    for case in cases:
        ask(results[0], case, lambda q: passage_hits(dense.retrieve(q, TOP_K)))
    hybrids = []
    for lexical, index in lexical_runs(chunks, cases):
        results.append(lexical)
        options = {"": {}}
        if lexical.name.endswith("(default)"):
            options[", no coverage gate"] = {"min_coverage": 0.0}
        for label, extra in options.items():
            name = lexical.name.replace("lexical:", "hybrid:") + label
            hybrid = Result(name, build_s=lexical.build_s)
            retriever = HybridRetriever(store, dense, index, **extra)
            for case in cases:
                ask(hybrid, case, lambda q, r=retriever: passage_hits(r.retrieve(q, TOP_K)))
            hybrids.append(hybrid)
    results += hybrids
    print(f"\n### Dense, lexical, hybrid: {distractors} distractors, {len(ids)} chunks, "
          f"top {TOP_K}\n")  # fmt: skip
    print(table(results, cases))
    print()
    main_rows = [r for r in results if r.name == "dense" or "(default)" in r.name]
    print(rank_table(main_rows, cases))


def _metas(store, ids: list[str]) -> list[dict]:
    metas: list[dict] = []
    for start in range(0, len(ids), 1000):
        got = store.collection.get(ids=ids[start : start + 1000], include=["metadatas"])
        order = dict(zip(got["ids"], got["metadatas"], strict=True))
        metas += [order[i] for i in ids[start : start + 1000]]
    return metas


if __name__ == "__main__":
    main()
