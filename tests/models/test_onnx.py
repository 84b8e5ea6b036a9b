"""The ONNX copies' bookkeeping: a marker with their sha256, checked before every load, and
which copies the settings ask for; what embeds questions when the fp32 copy is missing.

Making a real copy takes minutes; CI makes the fp32 one in `make models`, and
tests/models/test_onnx_integration.py uses both. Here the files are stand-ins.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from assistant.errors import ModelError, ModelIntegrityError
from assistant.models.onnx import (
    FP32,
    INT8,
    MARKER,
    ONNX_FILE,
    export_dir,
    is_exported,
    verify_export,
)


def fake_export(model_dir, copy=INT8, content=b"onnx bytes", recipe=None, data=None):
    """A copy's folder as `export` leaves it; `data`: an external weights file (fp32)."""
    folder = export_dir(model_dir, copy)
    folder.mkdir(parents=True)
    (folder / ONNX_FILE).write_bytes(content)
    files = {ONNX_FILE: hashlib.sha256(content).hexdigest()}
    if data is not None:
        (folder / "model.onnx.data").write_bytes(data)
        files["model.onnx.data"] = hashlib.sha256(data).hexdigest()
    marker = {"recipe": recipe or copy.recipe, "sha256": files[ONNX_FILE], "files": files}
    (folder / MARKER).write_text(json.dumps(marker))
    return folder


def test_a_complete_export_is_verified(tmp_path):
    fake_export(tmp_path)
    assert is_exported(tmp_path, INT8)
    assert not is_exported(tmp_path, FP32)
    assert verify_export(tmp_path, INT8) == hashlib.sha256(b"onnx bytes").hexdigest()


def test_an_int8_marker_of_the_first_format_still_verifies(tmp_path):
    folder = fake_export(tmp_path)
    digest = hashlib.sha256(b"onnx bytes").hexdigest()
    (folder / MARKER).write_text(json.dumps({"recipe": INT8.recipe, "sha256": digest}))
    assert verify_export(tmp_path, INT8) == digest


@pytest.mark.parametrize("damaged", [ONNX_FILE, "model.onnx.data"])
def test_a_damaged_or_incomplete_export_is_refused(tmp_path, damaged):
    folder = fake_export(tmp_path, FP32, data=b"weights")
    assert verify_export(tmp_path, FP32)
    (folder / damaged).write_bytes(b"something else")
    with pytest.raises(ModelIntegrityError, match=r"is damaged.*models fetch --force"):
        verify_export(tmp_path, FP32)
    (folder / damaged).unlink()
    with pytest.raises(ModelIntegrityError, match=rf"{damaged} is damaged \(sha256 missing"):
        verify_export(tmp_path, FP32)


def test_a_missing_or_outdated_export_is_not_there(tmp_path):
    assert not is_exported(tmp_path)
    with pytest.raises(ModelError, match=r"no int8 ONNX copy.*assistant models fetch"):
        verify_export(tmp_path, INT8)
    fake_export(tmp_path, recipe="an-older-recipe")
    assert not is_exported(tmp_path)  # remade by the next fetch


@pytest.mark.parametrize(
    ("embedding", "copies"),
    [
        ({}, ["fp32"]),
        ({"query_runtime": "torch"}, []),
        ({"variant": "int8"}, ["int8"]),
        ({"backend": "hashing"}, []),
    ],
)
def test_fetch_makes_the_copies_the_settings_run(embedding, copies):
    from assistant.cli.models import onnx_copies
    from assistant.config import load_settings

    assert [c.name for c in onnx_copies(load_settings(embedding=embedding))] == copies


def service_with_a_stand_in_embedder(settings):
    """An index service whose own embedder is a stand-in (the real model is never loaded)."""
    from assistant.indexing.index_service import IndexService

    sentinel = object()
    return IndexService(settings, "a-model", lambda: sentinel, lambda: None), sentinel


def test_without_the_fp32_copy_questions_fall_back_to_torch_with_one_warning(tmp_path, caplog):
    from assistant.config import load_settings
    from assistant.wiring import build_query_embedder

    model = tmp_path / "a-local-model"
    model.mkdir()
    settings = load_settings(embedding={"model": str(model)}, index=tmp_path / "index")
    service, sentinel = service_with_a_stand_in_embedder(settings)
    with caplog.at_level("WARNING"):
        assert build_query_embedder(settings, service) is sentinel
    assert [r.getMessage() for r in caplog.records] == [
        f"questions are embedded with torch, about twice as slow: no fp32 ONNX copy in "
        f"{model / FP32.folder}; `assistant models fetch` makes the ONNX copy"
    ]
    fake_export(model, FP32, content=b"not a graph")  # present but unloadable: same fallback
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert build_query_embedder(settings, service) is sentinel
    assert "cannot load the fp32 ONNX model" in caplog.text


@pytest.mark.parametrize("embedding", [{"query_runtime": "torch"}, {"backend": "hashing"}])
def test_other_settings_embed_questions_with_the_index_embedder(tmp_path, embedding):
    from assistant.config import load_settings
    from assistant.wiring import build_query_embedder

    settings = load_settings(embedding=embedding, index=tmp_path / "index")
    service, sentinel = service_with_a_stand_in_embedder(settings)
    assert build_query_embedder(settings, service) is sentinel


def test_the_int8_variant_files_its_vectors_apart():
    from assistant.config import load_settings
    from assistant.wiring import effective_model_name

    fp32 = load_settings(embedding={"variant": "fp32"})
    int8 = load_settings(embedding={"variant": "int8"})
    assert effective_model_name(fp32) == "google/embeddinggemma-300m"
    assert effective_model_name(int8) == "google/embeddinggemma-300m@int8"
