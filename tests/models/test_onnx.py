"""The int8 export's bookkeeping: a marker with its sha256, checked before every load.

Making a real export takes minutes; CI does it once in `make models`, and
tests/test_model_integration.py uses it. Here the files are stand-ins.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from assistant.errors import ModelError, ModelIntegrityError
from assistant.models.onnx import (
    INT8_FILE,
    MARKER,
    RECIPE,
    int8_dir,
    is_exported,
    verify_int8,
)


def fake_export(model_dir, content=b"onnx bytes", recipe=RECIPE):
    folder = int8_dir(model_dir)
    folder.mkdir(parents=True)
    (folder / INT8_FILE).write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    (folder / MARKER).write_text(json.dumps({"recipe": recipe, "sha256": digest}))
    return folder


def test_a_complete_export_is_verified(tmp_path):
    fake_export(tmp_path)
    assert is_exported(tmp_path)
    assert verify_int8(tmp_path) == hashlib.sha256(b"onnx bytes").hexdigest()


def test_a_damaged_export_is_refused(tmp_path):
    folder = fake_export(tmp_path)
    (folder / INT8_FILE).write_bytes(b"onnx bytez")
    with pytest.raises(ModelIntegrityError, match=r"is damaged.*models fetch --force"):
        verify_int8(tmp_path)


def test_a_missing_or_outdated_export_is_not_there(tmp_path):
    assert not is_exported(tmp_path)
    with pytest.raises(ModelError, match=r"no int8 export.*assistant models fetch"):
        verify_int8(tmp_path)
    fake_export(tmp_path, recipe="an-older-recipe")
    assert not is_exported(tmp_path)  # remade by the next fetch


def test_the_int8_variant_files_its_vectors_apart():
    from assistant.config import load_settings
    from assistant.wiring import effective_model_name

    fp32 = load_settings(embedding={"variant": "fp32"})
    int8 = load_settings(embedding={"variant": "int8"})
    assert effective_model_name(fp32) == "google/embeddinggemma-300m"
    assert effective_model_name(int8) == "google/embeddinggemma-300m@int8"
