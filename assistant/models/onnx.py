"""ONNX copies of the fetched embedding model, made on this machine, then verified.

Two copies, each made once by `assistant models fetch` when the settings need it:

- **fp32** (`onnx-fp32/`): the whole model (transformer, pooling, dense heads, normalisation)
  exported to one ONNX graph with torch's exporter, weights untouched. onnxruntime runs it
  for *questions* about twice as fast as torch on this CPU (its fused kernels for one short
  input), with vectors equal to torch's to cosine 0.9999999, so it answers questions against
  an index that torch embedded (docs/benchmarks.md, "Question latency").
- **int8** (`onnx-int8/`): the fp32 graph with its matrix multiplications quantized to int8
  by onnxruntime's dynamic quantization, except the MLP down-projections: Gemma's
  activations there have outliers that per-tensor int8 cannot hold (quantizing them too
  drops the mean cosine to fp32 from 0.99 to 0.97). Its vectors differ from fp32's, so it
  keeps a collection of its own (`embedding.variant`).

Each goes into `<model folder>/<copy>/` atomically, with a marker recording the sha256 of
every file, which `verify_export` and every load check. No sha256 is published for these
files, so the marker's are the ones made here; hashing and the atomic move are the models
cache's own (`cache.py`).

Written by hand because the maintained route, sentence-transformers' ONNX backend through
`optimum-onnx`, needs transformers < 4.58 and this project runs transformers 5 (which
Gradio's huggingface-hub requirement and EmbeddingGemma need).

Not here: running an exported model (`indexing/onnx_embedding.py`), fetching the original
(`embedding.py`).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import ModelError, ModelIntegrityError
from assistant.models.cache import MARKER, Progress, install_folder, no_progress, sha256_of
from assistant.models.hub import force_hub_offline

ONNX_FILE = "model.onnx"


@dataclass(frozen=True)
class OnnxCopy:
    """One kind of ONNX copy: its folder and recipe (a new recipe remakes old copies)."""

    name: str
    folder: str
    recipe: str


INT8 = OnnxCopy("int8", "onnx-int8", "dynamic-int8-v1")
FP32 = OnnxCopy("fp32", "onnx-fp32", "fp32-v1")


def export_dir(model_dir: Path, copy: OnnxCopy) -> Path:
    return model_dir / copy.folder


def is_exported(model_dir: Path, copy: OnnxCopy = INT8) -> bool:
    marker = export_dir(model_dir, copy) / MARKER
    try:
        return json.loads(marker.read_text("utf-8")).get("recipe") == copy.recipe
    except (OSError, ValueError):
        return False


def export(
    model_dir: Path, copy: OnnxCopy, progress: Progress | None = None, force: bool = False
) -> Path:
    """Make (once) and verify `<model_dir>/<copy.folder>/model.onnx`; returns its folder."""
    target = export_dir(model_dir, copy)
    if is_exported(model_dir, copy) and not force:
        verify_export(model_dir, copy)
        return target
    report = progress or no_progress
    with tempfile.TemporaryDirectory(prefix=".onnx-export-", dir=model_dir) as scratch:
        work = Path(scratch)
        report("export to ONNX", 0, 1)
        staged = work / copy.folder
        if copy == INT8:
            full = _export(model_dir, work / "fp32" / ONNX_FILE)
            report("export to ONNX", 1, 1)
            report("quantize to int8", 0, 1)
            staged.mkdir()
            _quantize(full, staged / ONNX_FILE, model_dir)
            report("quantize to int8", 1, 1)
        else:
            _export(model_dir, staged / ONNX_FILE)
            report("export to ONNX", 1, 1)
        files = {path.name: sha256_of(path) for path in sorted(staged.iterdir()) if path.is_file()}
        marker = {"recipe": copy.recipe, "sha256": files[ONNX_FILE], "files": files,
                  "source": str(model_dir.name),
                  "made": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        (staged / MARKER).write_text(json.dumps(marker, indent=1), "utf-8")
        install_folder(staged, target)
    return target


def verify_export(model_dir: Path, copy: OnnxCopy = INT8) -> str:
    """Re-hash the exported files against their marker; returns the graph's sha256."""
    folder = export_dir(model_dir, copy)
    try:
        marker = json.loads((folder / MARKER).read_text("utf-8"))
        files = marker.get("files") or {ONNX_FILE: marker["sha256"]}
    except (OSError, ValueError, KeyError) as error:
        raise ModelError(
            f"no {copy.name} ONNX copy in {folder}; run `assistant models fetch` to make it"
        ) from error
    for name, expected in files.items():
        actual = sha256_of(folder / name) if (folder / name).is_file() else "missing"
        if actual != expected:
            raise ModelIntegrityError(
                f"{folder / name} is damaged (sha256 {actual[:12]}…, expected "
                f"{expected[:12]}…); run `assistant models fetch --force`"
            )
    return files[ONNX_FILE]


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
