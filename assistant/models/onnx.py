"""An int8 ONNX copy of the fetched embedding model, made on this machine, then verified.

`export_int8` loads the verified sentence-transformers folder with torch, exports the whole
model (transformer, pooling, dense heads, normalisation) to one ONNX graph with torch's
exporter, and quantizes its matrix multiplications to int8 with onnxruntime's dynamic
quantization, except the MLP down-projections: Gemma's activations there have outliers that
per-tensor int8 cannot hold (quantizing them too drops the mean cosine to fp32 from 0.99 to
0.97; see docs/benchmarks.md). The result goes into `<model folder>/onnx-int8/` atomically,
with a marker recording its sha256, which `verify_int8` and every load check. No sha256 is
published for it, so the marker's is the one made here; hashing and the atomic move are the
models cache's own (`cache.py`).

Written by hand because the maintained route, sentence-transformers' ONNX backend through
`optimum-onnx`, needs transformers < 4.58 and this project runs transformers 5 (which
Gradio's huggingface-hub requirement and EmbeddingGemma need).

Not here: running the exported model (`indexing/onnx_embedding.py`), fetching the original
(`embedding.py`).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import ModelError, ModelIntegrityError
from assistant.models.cache import MARKER, Progress, install_folder, no_progress, sha256_of
from assistant.models.hub import force_hub_offline

INT8_DIR = "onnx-int8"
INT8_FILE = "model.onnx"
RECIPE = "dynamic-int8-v1"  # change it when the recipe changes: old exports are remade


def int8_dir(model_dir: Path) -> Path:
    return model_dir / INT8_DIR


def is_exported(model_dir: Path) -> bool:
    marker = int8_dir(model_dir) / MARKER
    try:
        return json.loads(marker.read_text("utf-8")).get("recipe") == RECIPE
    except (OSError, ValueError):
        return False


def export_int8(model_dir: Path, progress: Progress | None = None, force: bool = False) -> Path:
    """Make (once) and verify `<model_dir>/onnx-int8/model.onnx`; returns its folder."""
    target = int8_dir(model_dir)
    if is_exported(model_dir) and not force:
        verify_int8(model_dir)
        return target
    report = progress or no_progress
    with tempfile.TemporaryDirectory(prefix=".onnx-export-", dir=model_dir) as scratch:
        work = Path(scratch)
        report("export to ONNX", 0, 1)
        full = _export(model_dir, work / "fp32" / INT8_FILE)
        report("export to ONNX", 1, 1)
        report("quantize to int8", 0, 1)
        staged = work / INT8_DIR
        staged.mkdir()
        _quantize(full, staged / INT8_FILE, model_dir)
        report("quantize to int8", 1, 1)
        digest = sha256_of(staged / INT8_FILE)
        marker = {"recipe": RECIPE, "sha256": digest, "source": str(model_dir.name),
                  "made": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        (staged / MARKER).write_text(json.dumps(marker, indent=1), "utf-8")
        install_folder(staged, target)
    return target


def verify_int8(model_dir: Path) -> str:
    """Re-hash the exported model against its marker; returns the sha256."""
    folder = int8_dir(model_dir)
    try:
        expected = json.loads((folder / MARKER).read_text("utf-8"))["sha256"]
    except (OSError, ValueError, KeyError) as error:
        raise ModelError(
            f"no int8 export in {folder}; run `assistant models fetch` to make it"
        ) from error
    actual = sha256_of(folder / INT8_FILE)
    if actual != expected:
        raise ModelIntegrityError(
            f"{folder / INT8_FILE} is damaged (sha256 {actual[:12]}…, expected "
            f"{expected[:12]}…); run `assistant models fetch --force`"
        )
    return actual


def _export(model_dir: Path, out: Path) -> Path:
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ModelError(f"cannot export the model: {error}") from error

    class _Whole(torch.nn.Module):
        """The sentence-transformers pipeline as one module: ids and mask in, vector out."""

        def __init__(self, model: SentenceTransformer) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            return self.model(features)["sentence_embedding"]

    force_hub_offline()
    out.parent.mkdir(parents=True)
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    sample = model.tokenizer(["title: a | text: b c", "d"], padding=True, return_tensors="pt")
    # The exporter narrates every step on stdout and in warnings; the progress bar says enough.
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    try:
        with (
            torch.no_grad(),
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Whole(model).eval(),
                (sample["input_ids"], sample["attention_mask"]),
                str(out),
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "length"},
                    "attention_mask": {0: "batch", 1: "length"},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=18,
                dynamo=True,
                verbose=False,
            )
    except Exception as error:  # the exporter raises many kinds; none is the user's fault
        raise ModelError(f"exporting {model_dir.name} to ONNX failed: {error}") from error
    return out


def _quantize(source: Path, out: Path, model_dir: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    config = json.loads((model_dir / "config.json").read_text("utf-8"))
    inner = config.get("intermediate_size")
    graph = onnx.load(str(source), load_external_data=True).graph
    weights = {init.name: tuple(init.dims) for init in graph.initializer}
    # The MLP down-projection is the MatMul whose weight reads the intermediate width.
    keep_fp32 = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and any(weights.get(i, (None,))[0] == inner for i in node.input)
    ]
    if not keep_fp32:
        raise ModelError(f"no MLP down-projection found in {source.name}: unknown architecture")
    quantize_dynamic(str(source), str(out), weight_type=QuantType.QInt8,
                     nodes_to_exclude=keep_fp32)  # fmt: skip
