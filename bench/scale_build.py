"""Fresh index builds for `bench.scale`, each in its own process, so memory is measured alone.

`run_build(pipeline, folder, embedder)` empties `folder/pipeline`, then runs
`python -m bench.scale_build PIPELINE FOLDER EMBEDDER OUT.json` and reads back what that
process measured: model load (plus one embedding call), the build's wall and CPU time, peak
RSS (VmHWM of the build process, read right after the build), chunks, and tokens of the
text as embedded (counted afterwards, untimed). A finished build leaves `bench-build.json`
in its folder; that marks it as reusable by `--reuse`.

Pipelines: `ours` (`build_index_service(settings).update()`) and `default` (llama-index's
`VectorStoreIndex.from_documents` with `SentenceSplitter()` and the in-memory
SimpleVectorStore, then `BM25Retriever.from_defaults` if installed; persisted afterwards,
untimed, so the query process can load it). Both read the articles with our corpus reader,
so they index the same normalised text.

Not here: queries, reports (`bench.scale`, `bench.scale_report`).
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.chunk_size import NEWS, PROJECT, build_corpus, pick_distractors

TOP_K = 5
BM25_MISSING = (
    "llama-index-retrievers-bm25 is not installed (`pip install llama-index-retrievers-bm25` "
    "adds it and PyStemmer beside the pinned versions)"
)


def settings_for(folder: Path, embedder: str):
    from assistant.config import load_settings

    return load_settings(
        corpus=folder / "corpus", index=folder / "ours", embedding={"backend": embedder}
    )


def prepare_corpus(folder: Path, n: int) -> int:
    """Seed + `n` news articles in `folder/corpus` (written once, then reused); the count."""
    corpus = folder / "corpus"
    if not (folder / "corpus.done").is_file():
        shutil.rmtree(corpus, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as temp:
            build_corpus(Path(temp) / "corpus", pick_distractors(NEWS, n))
            (Path(temp) / "corpus").rename(corpus)
        (folder / "corpus.done").write_text(str(n + 1))
    return sum(1 for _ in corpus.iterdir())


def run_build(pipeline: str, folder: Path, embedder: str, in_process: bool = False) -> dict:
    """Build `pipeline` afresh in a new process (or this one: quicker, RSS then not its own)."""
    target = folder / pipeline
    shutil.rmtree(target, ignore_errors=True)
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp) / "build.json"
        argv = [pipeline, str(folder), embedder, str(out)]
        if in_process:
            build_here(argv)
        else:
            subprocess.run(
                [sys.executable, "-m", "bench.scale_build", *argv], cwd=PROJECT, check=True
            )
        figures = json.loads(out.read_text())
    figures["in_process"] = in_process
    figures["built_at"] = time.strftime("%Y-%m-%d %H:%M")
    (target / "bench-build.json").write_text(json.dumps(figures, indent=1))
    return figures


def cached_build(folder: Path, pipeline: str) -> dict | None:
    """The figures of the build cached in `folder/pipeline`, if one finished there."""
    path = folder / pipeline / "bench-build.json"
    return json.loads(path.read_text()) if path.is_file() else None


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB.

    VmHWM, not `ru_maxrss`: Linux carries `ru_maxrss` across fork and exec, so a build
    started by a query process holding a 1.5 GB model would report at least 1.5 GB.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def load_model(settings) -> tuple[object, float]:
    from assistant.wiring import build_embedder

    started = time.perf_counter()
    model = build_embedder(settings)
    model.get_text_embedding_batch(["khởi động"])  # first call pays one-off set-up
    return model, time.perf_counter() - started


def build_ours(folder: Path, embedder: str) -> tuple[dict, list[str], object]:
    from llama_index.core.schema import MetadataMode

    from assistant.wiring import build_index_service
    from bench.chunk_size import embedded_chunks

    service = build_index_service(settings_for(folder, embedder))
    started = time.perf_counter()
    model = service.embedder  # loaded here, so the update below times indexing alone
    model.get_text_embedding_batch(["khởi động"])
    figures = {"load_s": time.perf_counter() - started, "rss_loaded_mb": peak_rss_mb()}
    started, cpu = time.perf_counter(), time.process_time()
    report = service.update()
    figures |= {"wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}
    figures["rss_mb"] = peak_rss_mb()
    if report.failed or report.rejected:
        raise SystemExit(f"indexing failed: {report.failed + report.rejected}")
    nodes = embedded_chunks(service)
    figures["articles"] = len(service.scan().articles)
    figures["stored"] = service.open_store().count()
    return figures, [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes], model


def build_default(folder: Path, embedder: str) -> tuple[dict, list[str], object]:
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.schema import MetadataMode

    from assistant.corpus.reader import scan_corpus

    settings = settings_for(folder, embedder)
    model, load_s = load_model(settings)
    figures = {"load_s": load_s, "rss_loaded_mb": peak_rss_mb()}
    started, cpu = time.perf_counter(), time.process_time()
    articles = scan_corpus(settings.corpus, settings.max_file_bytes).articles
    documents = [Document(text=f"{a.title}\n\n{a.body}", id_=a.id) for a in articles]
    index = VectorStoreIndex.from_documents(
        documents, embed_model=model, transformations=[SentenceSplitter()]
    )
    figures["vector_s"] = time.perf_counter() - started
    nodes = list(index.docstore.docs.values())
    bm25 = None
    try:
        from llama_index.retrievers.bm25 import BM25Retriever
    except ImportError:
        figures["bm25_skipped"] = BM25_MISSING
    else:
        bm25_started = time.perf_counter()
        bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=TOP_K)
        figures["bm25_s"] = time.perf_counter() - bm25_started
    figures |= {"wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}
    figures["rss_mb"] = peak_rss_mb()
    figures["articles"] = len(articles)
    target = folder / "default"
    index.storage_context.persist(persist_dir=str(target / "vector"))
    if bm25 is not None:
        bm25.persist(str(target / "bm25"), show_progress=False)
    return figures, [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes], model


def count_tokens(texts: list[str], model, limit: int | None) -> dict:
    """Tokens of each text with the model's tokenizer (the real model's for the hashing fake)."""
    tokenizer, name = getattr(model, "tokenizer", None), getattr(model, "model_name", "")
    if tokenizer is None:
        limit = None  # the hashing fake reads every word
        try:
            from assistant.config import load_settings
            from assistant.models.paths import resolve_model_path

            real = load_settings().embedding.model
            path = resolve_model_path(real, load_settings().models_dir)  # before the import
            from transformers import AutoTokenizer

            tokenizer, name = AutoTokenizer.from_pretrained(str(path)), real
        except Exception:  # no model files: words are the next best unit
            name = "words (no tokenizer)"
    lengths: list[int] = []
    for start in range(0, len(texts), 512):
        batch = texts[start : start + 512]
        if name.startswith("words"):
            lengths += [len(text.split()) for text in batch]
        else:
            lengths += [len(ids) for ids in tokenizer(batch)["input_ids"]]
    embedded = [min(length, limit) if limit else length for length in lengths]
    return {
        "chunks": len(texts),
        "tokens": sum(embedded),
        "tokens_full": sum(lengths),
        "truncated": sum(1 for a, b in zip(lengths, embedded, strict=True) if a > b),
        "max_tokens": max(lengths, default=0),
        "token_unit": name,
    }


def build_here(argv: list[str]) -> None:
    """The child process: build one pipeline and write its figures to the JSON file named."""
    pipeline, folder, embedder, out = argv[0], Path(argv[1]), argv[2], argv[3]
    build = {"ours": build_ours, "default": build_default}[pipeline]
    figures, texts, model = build(folder, embedder)
    limit = settings_for(folder, embedder).embedding.max_seq_length
    figures |= count_tokens(texts, model, limit if embedder != "hashing" else None)
    figures["tokens_per_s"] = figures["tokens"] / figures["wall_s"]
    figures["chunks_per_s"] = figures["chunks"] / figures["wall_s"]
    Path(out).write_text(json.dumps(figures))


if __name__ == "__main__":
    build_here(sys.argv[1:])
