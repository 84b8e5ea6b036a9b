"""The `assistant index` commands and `assistant search`: build, inspect, back up and
query the index.

`index update`/`rebuild` embed the corpus (progress on stderr, `--json` counts on stdout,
exit 1 when an article failed); `index status` shows what is indexed and pending;
`index export`/`import` move a local index as one archive; `search` prints the passages a
query finds, with their articles and offsets.

Not here: indexing or retrieval (`assistant.indexing`, `assistant.retrieval`, built by
`wiring`), the question-answering commands (`ask.py`).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from assistant.cli.console import err, out, plain, progress_bars, shown
from assistant.cli.options import AssistantGroup, settings_options
from assistant.config import Settings
from assistant.errors import AssistantError, IndexStoreError


@click.group("index", cls=AssistantGroup)
def group() -> None:
    """Build and update the search index from the corpus folder."""


def _run_update(action: Callable, as_json: bool) -> None:
    started = time.monotonic()
    with progress_bars() as progress:
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


@group.command("update")
@settings_options()
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of counts.")
def index_update(settings: Settings, as_json: bool) -> None:
    """Embed new and changed articles, remove deleted ones; unchanged ones cost nothing."""
    from assistant.wiring import build_index_service

    _run_update(build_index_service(settings).update, as_json)


@group.command("rebuild")
@settings_options()
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of counts.")
def index_rebuild(settings: Settings, as_json: bool) -> None:
    """Drop the index of the configured model and build it again from the corpus."""
    from assistant.wiring import build_index_service

    _run_update(build_index_service(settings).rebuild, as_json)


@group.command("status")
@settings_options()
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


@group.command("export")
@settings_options()
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


@group.command("import")
@settings_options()
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


@click.command("search")
@settings_options()
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
