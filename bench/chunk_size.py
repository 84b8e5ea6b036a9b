"""Chunk-size benchmark: which `chunking.max_chars` retrieves the seed's answers best, at what cost.

For each size it indexes the same corpus (the seed article plus news articles about the
Party as hard distractors) with the real embedding model, then asks the answerable seed
questions through dense retrieval. It measures, per size:

- chunks (seed and total) and their length in characters and in tokens *as embedded*
  (the node text inside the title template), and how many exceed the default token limit;
- indexing cost: wall and CPU time of `IndexService.update()` (chunking + embedding +
  Chroma writes) and throughput as embedded tokens and chunks per wall second;
- quality over the seed questions: seed hit@1/@3 (a passage from the seed article ranks
  1st / in the top 3) and answer@1/@3 (a *seed* passage there holds the gold answer; a
  distractor that happens to contain "2" or "344" is not a citation). Answers match on
  token boundaries, so "2" does not match inside "2022"; for `match: all` one passage
  must hold every part. Answer metrics count only questions whose answer is in the seed
  body at all (the byline's author and date are metadata, not chunk text);
- mean dense query latency.

The model is loaded once, with max_seq_length 1024, so no chunk is truncated while
measuring; the report says which chunks the default limit would have cut.

Not measured: hybrid or lexical retrieval, reranking, answer composition, follow-up
turns and abstention questions, memory use. One seed article and 20 questions make a
small sample: differences of one question are noise. Throughput depends on whatever else
the machine is running.

Run: .venv/bin/python -m bench.chunk_size [--sizes 400,800,1200,1600] [--distractors 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import os
import re
import statistics
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode, TextNode

from assistant.config import EmbeddingSettings, load_settings
from assistant.indexing.chunking import article_document
from assistant.indexing.index_service import IndexService
from assistant.indexing.updater import article_version
from assistant.retrieval.dense import DenseRetriever
from assistant.text.normalize import normalize_inline
from assistant.wiring import build_embedder, effective_model_name

PROJECT = Path(__file__).resolve().parents[1]
SEED = PROJECT / "corpus" / "000_d06571e5afc15d7f.txt"
NEWS = PROJECT.parent / "shared" / "data" / "vn_news_dev.jsonl.gz"
QUESTIONS = PROJECT.parent / "shared" / "data" / "seed_qa.jsonl"
DOC = PROJECT / "docs" / "chunking.md"

BENCH_SEQ_LENGTH = 1024  # room for the largest size, so nothing is truncated while measuring
DEFAULT_SEQ_LENGTH = EmbeddingSettings.model_fields["max_seq_length"].default
SEQ_LENGTH_STEPS = (512, 768, 1024, 2048)
TOP_K = 5
TIME_NOISE = 0.15  # CPU times closer than this are a tie on a shared machine


@dataclass
class Question:
    id: str
    text: str
    answers: list[str]
    match_all: bool


@dataclass
class SizeResult:
    size: int
    seed_chunks: int
    chunks: int
    chars: list[int]
    tokens: list[int]
    seconds: float  # wall time of the update
    cpu_seconds: float  # CPU time of this process during it: less swayed by other work
    seed_ranks: dict[str, int | None] = field(default_factory=dict)  # first seed passage
    answer_ranks: dict[str, int | None] = field(default_factory=dict)  # first answering one
    latencies: list[float] = field(default_factory=list)

    def seed_hits(self, k: int) -> int:
        return sum(1 for rank in self.seed_ranks.values() if rank and rank <= k)

    def answer_hits(self, k: int) -> int:
        return sum(1 for rank in self.answer_ranks.values() if rank and rank <= k)

    def over(self, limit: int) -> int:
        return sum(1 for count in self.tokens if count > limit)


def pick_distractors(path: Path, count: int) -> list[dict]:
    """The first `count` articles (file order) mentioning "đảng viên", then "Đảng", then any."""
    tiers: list[list[dict]] = [[], [], []]
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            body = unicodedata.normalize("NFC", record["body"])
            tier = 0 if "đảng viên" in body.lower() else 1 if "Đảng" in body else 2
            tiers[tier].append(record)
            if len(tiers[0]) >= count:
                break
    return (tiers[0] + tiers[1] + tiers[2])[:count]


def build_corpus(folder: Path, distractors: list[dict]) -> None:
    folder.mkdir(parents=True)
    (folder / SEED.name).write_bytes(SEED.read_bytes())
    for record in distractors:
        text = f"{record['title']}\n\n{record['lead']}\n\n{record['body']}\n"
        (folder / f"news_{record['id']}.txt").write_text(text, encoding="utf-8")


def load_questions(path: Path) -> list[Question]:
    """Single-turn questions with an answer (abstentions and follow-ups are skipped)."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case.get("answers") and "question" in case:
            answers = [normalize_inline(answer) for answer in case["answers"]]
            questions.append(
                Question(case["id"], case["question"], answers, case.get("match") == "all")
            )
    return questions


def holds_answer(text: str, question: Question) -> bool:
    """Whether `text` holds the gold answer, on token boundaries ("2" is not in "2022")."""

    def found(answer: str) -> bool:
        pattern = rf"(?<!\w)(?<!\d[.,]){re.escape(answer)}(?!\w)(?![.,]\d)"
        return re.search(pattern, text, re.IGNORECASE) is not None

    hits = [found(answer) for answer in question.answers]
    return all(hits) if question.match_all else any(hits)


def index_at(size: int, corpus: Path, work: Path, embedder: BaseEmbedding) -> IndexService:
    """A fresh index of `corpus` at `size` chars per chunk, in memory; not yet updated."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = load_settings(
        corpus=corpus,
        index=work / f"index-{size}",
        embedding={"max_seq_length": BENCH_SEQ_LENGTH},
        chunking={"max_chars": size},
        # Ephemeral clients share one in-memory store per process: one collection per size.
        store={"collection_prefix": f"bench{size}"},
    )
    return IndexService(
        settings,
        effective_model_name(settings),
        embedder_factory=lambda: embedder,
        client_factory=lambda: chromadb.EphemeralClient(
            settings=ChromaSettings(anonymized_telemetry=False)
        ),
    )


def embedded_chunks(service: IndexService) -> list[TextNode]:
    """The chunks an update stored, chunked again (deterministic and cheap) to read them."""
    nodes = []
    for article in service.scan().articles:
        version = article_version(article, service.chunker)
        nodes.extend(service.chunker([article_document(article, version)]))
    return nodes


def first_rank(flags: list[bool]) -> int | None:
    """1-based rank of the first true flag, or None."""
    return next((rank for rank, flag in enumerate(flags, 1) if flag), None)


def run_size(
    size: int, corpus: Path, work: Path, embedder: BaseEmbedding, questions: list[Question]
) -> SizeResult:
    """Index the corpus at `size` chars per chunk and time it, then ask every question."""
    service = index_at(size, corpus, work, embedder)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = service.update()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    if report.failed or report.rejected:
        raise SystemExit(f"indexing at {size} failed: {report.failed + report.rejected}")

    nodes = embedded_chunks(service)
    store = service.open_store()
    if store.count() != len(nodes):
        raise SystemExit(f"{store.count()} chunks stored but {len(nodes)} chunked again")
    as_embedded = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
    result = SizeResult(
        size=size,
        seed_chunks=sum(1 for node in nodes if node.metadata["article_id"] == SEED.name),
        chunks=len(nodes),
        chars=[len(node.get_content(metadata_mode=MetadataMode.NONE)) for node in nodes],
        tokens=[len(ids) for ids in embedder.tokenizer(as_embedded)["input_ids"]],
        seconds=seconds,
        cpu_seconds=cpu_seconds,
    )

    seed_body = next(a.body for a in service.scan().articles if a.id == SEED.name)
    retriever = DenseRetriever(store, embedder)
    retriever.retrieve(questions[0].text, k=TOP_K)  # warm-up, not timed
    for question in questions:
        started = time.perf_counter()
        passages = retriever.retrieve(question.text, k=TOP_K)
        result.latencies.append(time.perf_counter() - started)
        from_seed = [passage.article_id == SEED.name for passage in passages]
        result.seed_ranks[question.id] = first_rank(from_seed)
        if holds_answer(seed_body, question):
            result.answer_ranks[question.id] = first_rank(
                [p.article_id == SEED.name and holds_answer(p.text, question) for p in passages]
            )
    return result


def seq_length_for(max_tokens: int) -> int:
    """The smallest usual limit with 25% headroom over the longest chunk seen."""
    needed = math.ceil(max_tokens * 1.25)
    return next((step for step in SEQ_LENGTH_STEPS if step >= needed), SEQ_LENGTH_STEPS[-1])


def quality(r: SizeResult) -> tuple[int, int, int, int]:
    return (r.answer_hits(3), r.answer_hits(1), r.seed_hits(3), r.seed_hits(1))


def recommend(results: list[SizeResult]) -> tuple[SizeResult, str]:
    """Quality first; then indexing CPU time (ties within TIME_NOISE); then the smaller size."""
    best = max(quality(r) for r in results)
    candidates = [r for r in results if quality(r) == best]
    cheapest = min(r.cpu_seconds for r in candidates)
    affordable = [r for r in candidates if r.cpu_seconds <= cheapest * (1 + TIME_NOISE)]
    choice = min(affordable, key=lambda r: r.size)
    why = [
        "Quality first: the best (answer@3, answer@1, seed@3, seed@1) is "
        f"({', '.join(map(str, best))}), reached at max_chars "
        f"{', '.join(str(r.size) for r in candidates)}."
    ]
    if len(candidates) > 1:
        why.append(
            f"Then cost: indexing CPU times within {TIME_NOISE:.0%} of the cheapest count as "
            "equal (the machine was shared), and of those the smaller chunk wins, because "
            "its citations quote less text around the answer."
        )
    others = ", ".join(f"{r.size}: {r.cpu_seconds:.0f} s" for r in results if r is not choice)
    why.append(
        f"Cost: {choice.chunks} chunks, indexed in {choice.cpu_seconds:.0f} CPU s "
        f"(others: {others})."
    )
    return choice, " ".join(why)


def fmt_table(results: list[SizeResult], answerable: int, total: int) -> str:
    header = (
        "| max_chars | chunks seed/total | chars mean/max | tokens mean/max "
        f"| >{DEFAULT_SEQ_LENGTH} tok | update s wall/CPU | tokens/s | chunks/s "
        f"| seed@1 /{total} | seed@3 /{total} | answer@1 /{answerable} "
        f"| answer@3 /{answerable} | query ms |"
    )
    rows = [header, "|" + "---:|" * (header.count("|") - 1)]
    for r in results:
        rows.append(
            f"| {r.size} | {r.seed_chunks}/{r.chunks} "
            f"| {statistics.mean(r.chars):.0f}/{max(r.chars)} "
            f"| {statistics.mean(r.tokens):.0f}/{max(r.tokens)} | {r.over(DEFAULT_SEQ_LENGTH)} "
            f"| {r.seconds:.0f}/{r.cpu_seconds:.0f} | {sum(r.tokens) / r.seconds:.0f} "
            f"| {r.chunks / r.seconds:.2f} "
            f"| {r.seed_hits(1)} | {r.seed_hits(3)} | {r.answer_hits(1)} | {r.answer_hits(3)} "
            f"| {1000 * statistics.mean(r.latencies):.0f} |"
        )
    return "\n".join(rows)


def fmt_ranks(results: list[SizeResult], questions: list[Question]) -> str:
    """Per question: rank of the first seed passage holding the answer (- if none in top 5)."""
    header = "| question | " + " | ".join(str(r.size) for r in results) + " |"
    rows = [header, "|---|" + "---:|" * len(results)]
    for question in questions:
        if question.id not in results[0].answer_ranks:
            continue
        ranks = [r.answer_ranks[question.id] for r in results]
        cells = " | ".join(str(rank) if rank else "-" for rank in ranks)
        rows.append(f"| {question.id} | {cells} |")
    return "\n".join(rows)


def proc_value(file: str, key: str) -> str | None:
    """The value of `key` in /proc/`file` (e.g. cpuinfo "model name"), or None."""
    try:
        for line in Path("/proc", file).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine() -> str:
    return f"{os.cpu_count()} CPU cores ({proc_value('cpuinfo', 'model name') or 'unknown CPU'})"


def write_doc(
    path: Path,
    command: str,
    model: str,
    results: list[SizeResult],
    questions: list[Question],
    distractors: int,
) -> SizeResult:
    answerable = len(results[0].answer_ranks)
    unreachable = [q.id for q in questions if q.id not in results[0].answer_ranks]
    choice, why = recommend(results)
    needed = seq_length_for(max(choice.tokens))
    over = ", ".join(
        f"{r.size}: {r.over(DEFAULT_SEQ_LENGTH)} of {r.chunks} (longest {max(r.tokens)})"
        for r in results
    )
    cut = sum(r.over(BENCH_SEQ_LENGTH) for r in results)
    sizes = sorted(r.size for r in results)
    edge_note = (
        f" {choice.size} is the edge of the measured range: sizes beyond it were not "
        "tried in this run."
        if len(sizes) > 1 and choice.size in (sizes[0], sizes[-1])
        else ""
    )
    missed = [q for q in results[0].answer_ranks if not any(r.answer_ranks[q] for r in results)]
    missed_note = missed and (
        f" No size finds the answer to {', '.join(missed)} in the top {TOP_K}: chunk size "
        "is not the lever for those."
    )
    if cut:
        over += f"; {cut} chunks were over {BENCH_SEQ_LENGTH} and truncated even here"
    unreachable_note = unreachable and (
        f" ({', '.join(unreachable)}: the answer is not in the body text, e.g. the byline's "
        "author or date, which are metadata)"
    )
    text = f"""# Choosing the chunk size

Measured by `bench/chunk_size.py` (its docstring says what it measures and what not).

- Date: {dt.date.today().isoformat()}
- Machine: {machine()}. Other work was running at the same time, so the wall-clock
  columns (update s wall, tokens/s, chunks/s, query ms) are noisy: read them as rough.
  CPU seconds count only this process's work and are steadier (contention for caches
  and memory still inflates them), so cost comparisons use them.
- Command: `{command}`
- Corpus: the seed article plus {distractors} news articles from the shared dev set, the
  first in file order that mention "đảng viên" (then "Đảng"): hard distractors. Their
  bodies are one paragraph each, so the chunker packs them by sentence.
- Model: {model}, loaded once with max_seq_length {BENCH_SEQ_LENGTH}, so chunks
  were not truncated while measuring.
- Questions: the {len(questions)} single-turn answerable seed questions, dense retrieval,
  top {TOP_K}. Answer metrics use the {answerable} whose answer is in the seed
  body{unreachable_note or ""}.

## Results

Tokens are counted on the text as embedded (`title: … | text: …`, special tokens
included). answer@k: a seed passage in the top k holds the gold answer.

{fmt_table(results, answerable, len(questions))}

Rank of the first seed passage holding the answer, per question:

{fmt_ranks(results, questions)}

Chunks over the default max_seq_length ({DEFAULT_SEQ_LENGTH} tokens), which the model
would silently truncate: {over}.

## Recommendation

**max_chars = {choice.size}, max_seq_length = {needed}.**

{why}

Smaller chunks give more precise citations (the quote is the sentence or two that
answers); larger ones keep more context in one passage, which helps when the question's
words and the answer sit a few sentences apart. At {choice.size} characters a chunk
averages {statistics.mean(choice.chars):.0f} characters, so the top {TOP_K} passages
still give an answerer about {TOP_K * statistics.mean(choice.chars):.0f} characters of
context. The longest chunk is {max(choice.tokens)} tokens; max_seq_length {needed}
leaves at least 25% headroom for denser text (numbers and names cost more tokens per
character).{edge_note}{missed_note or ""}

With one seed article and {answerable} scored questions, a difference of one question
is within noise; re-run this benchmark when the corpus or the model changes.
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return choice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="400,800,1200,1600", help="max_chars values")
    parser.add_argument("--distractors", type=int, default=40, help="news articles added")
    parser.add_argument("--doc", type=Path, default=DOC, help="where to write the report")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    for needed in (NEWS, QUESTIONS):
        if not needed.is_file():
            print(f"skipped: {needed} is not there (the shared data set is needed)")
            return
    questions = load_questions(QUESTIONS)
    distractors = pick_distractors(NEWS, args.distractors)
    model_settings = load_settings(embedding={"max_seq_length": BENCH_SEQ_LENGTH})
    embedder = build_embedder(model_settings)
    embedder.get_text_embedding_batch(["khởi động"])  # first call pays one-off set-up
    results = []
    with tempfile.TemporaryDirectory(prefix="chunk-bench-") as work:
        corpus = Path(work) / "corpus"
        build_corpus(corpus, distractors)
        for size in sizes:
            result = run_size(size, corpus, Path(work), embedder, questions)
            print(
                f"max_chars {size}: {result.chunks} chunks in {result.seconds:.0f} s "
                f"({result.cpu_seconds:.0f} CPU s)",
                flush=True,
            )
            results.append(result)
    answerable = len(results[0].answer_ranks)
    print(fmt_table(results, answerable, len(questions)))
    command = (
        f".venv/bin/python -m bench.chunk_size --sizes {','.join(map(str, sizes))} "
        f"--distractors {args.distractors}"
    )
    model = effective_model_name(model_settings)
    choice = write_doc(args.doc, command, model, results, questions, len(distractors))
    needed = seq_length_for(max(choice.tokens))
    print(f"recommended max_chars {choice.size}, max_seq_length {needed}; wrote {args.doc}")


if __name__ == "__main__":
    main()
