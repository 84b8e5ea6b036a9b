"""The models cache: where a model's folder is, its marker, and the checks on it.

A fetched model lives in `<models_dir>/<model id>/` with a `.verified.json` marker that
records the weights' sha256, size and mtime as of their last full check. `is_fetched` is
the cheap check (the marker against the file's size and mtime, no hashing); `verify_model`
the full one (re-hash against the published sha256, then refresh the marker).
`install_folder` puts a finished folder in place with one rename, so a reader sees the old
folder or the new one, never half of either.

Not here: getting the files (`fetch.py`), finding a configured model (`paths.py`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from assistant.errors import ModelError, ModelIntegrityError

Progress = Callable[[str, int, int], None]
"""`progress(stage, done, total)`: a stage's name, and how far it got (items or bytes)."""

MARKER = ".verified.json"
BLOCK = 1 << 20


class Verifiable(Protocol):
    """What the cache knows of a model: its id, its weights file, and their published sha256."""

    @property
    def model_id(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def weights_file(self) -> str: ...


def no_progress(stage: str, done: int, total: int) -> None:
    """The progress callback used when the caller gives none."""


def model_dir(models_dir: Path, model_id: str) -> Path:
    """The cache folder of `model_id`: `org/name` becomes `org__name`."""
    safe = model_id.replace("/", "__")
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", safe):
        raise ModelError(f"model id {model_id!r} cannot be used as a folder name")
    return models_dir / safe


def is_fetched(models_dir: Path, spec: Verifiable) -> bool:
    """Cheap check (no hashing): the weights are where and as the last verification left them."""
    final = model_dir(models_dir, spec.model_id)
    try:
        marker = json.loads((final / MARKER).read_text(encoding="utf-8"))
        stat = (final / spec.weights_file).stat()
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("model_id") == spec.model_id
        and marker.get("sha256") == spec.sha256
        and marker.get("size") == stat.st_size
        and marker.get("mtime_ns") == stat.st_mtime_ns
    )


def verify_model(spec: Verifiable, models_dir: Path, *, progress: Progress | None = None) -> Path:
    """Re-hash the fetched weights; refresh the marker when they still match."""
    final = model_dir(models_dir, spec.model_id)
    weights = final / spec.weights_file
    if not weights.is_file():
        raise ModelError(f"{spec.model_id} is not fetched: {weights} does not exist")
    check_weights(spec, final, progress or no_progress)
    write_marker(spec, final)
    return final


def check_weights(spec: Verifiable, folder: Path, report: Progress) -> None:
    """ModelIntegrityError unless `folder`'s weights have the published sha256."""
    actual = sha256_of(folder / spec.weights_file, report)
    if actual != spec.sha256:
        raise ModelIntegrityError(
            f"{spec.model_id}: {spec.weights_file} has sha256 {actual}, "
            f"expected {spec.sha256}; refusing to use it"
        )


def write_marker(spec: Verifiable, folder: Path) -> None:
    """Record that `folder`'s weights were just checked (read back by `is_fetched`)."""
    stat = (folder / spec.weights_file).stat()
    marker = {
        "model_id": spec.model_id,
        "sha256": spec.sha256,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    temporary = folder / (MARKER + ".tmp")
    temporary.write_text(json.dumps(marker, indent=2), encoding="utf-8")
    os.replace(temporary, folder / MARKER)


def sha256_of(path: Path, report: Progress = no_progress) -> str:
    """The hex sha256 of a file, read block by block, reporting "verify" progress (bytes)."""
    total = path.stat().st_size
    digest = hashlib.sha256()
    done = 0
    report("verify", done, total)
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
            done += len(block)
            report("verify", done, total)
    return digest.hexdigest()


def install_folder(staged: Path, final: Path) -> None:
    """Put `staged` in place of `final` (same file system); the last rename commits it."""
    if final.exists():
        stale = staged.with_name(staged.name + ".stale")
        shutil.rmtree(stale, ignore_errors=True)
        os.replace(final, stale)
        shutil.rmtree(stale, ignore_errors=True)
    os.replace(staged, final)
