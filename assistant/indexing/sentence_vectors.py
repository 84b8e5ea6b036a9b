"""Sentence vectors: every sentence of a chunk embedded on its own at indexing time.

The reader picks the sentence that answers among the retrieved chunks' sentences. Word
overlap alone misses paraphrases; the embedding model's question-sentence similarity does
not (measured on ViNewsQA, ViQuAD and Party news: the two together pick the sentence holding
the answer more often than either, docs/answering.md). Embedding ~20 candidate sentences
per question costs seconds on a CPU, so the vectors are made here, once, with the chunks.

Each sentence is embedded in the chunk's document format (with the article title), cut to
its first `SENTENCE_DIMS` dimensions and renormalised (EmbeddingGemma is trained so that its
leading dimensions are an embedding of their own), and stored as float16 in the chunk's
Chroma metadata: its spans (`sentence_spans`, "start:end;…" in chunk-text offsets) and
vectors (`sentence_vectors`, base64). 256 float16 dimensions are 512 bytes a sentence and
rank sentences within a point of the full 768 float32 ones.

The metadata rides with its chunk, so updates, deletions and exports keep it right with no
extra bookkeeping. Not here: scoring sentences against a question (`retrieval/sentences.py`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, MetadataMode

from assistant.text.sentences import sentence_spans

SENTENCE_DIMS = 256
SPANS_KEY = "sentence_spans"
VECTORS_KEY = "sentence_vectors"
SENTENCE_KEYS = (SPANS_KEY, VECTORS_KEY)


def pack_vectors(vectors: np.ndarray) -> str:
    """Rows cut to `SENTENCE_DIMS`, renormalised, as base64 float16."""
    cut = np.asarray(vectors, dtype=np.float32)[:, :SENTENCE_DIMS]
    norms = np.linalg.norm(cut, axis=1, keepdims=True)
    cut = cut / np.where(norms == 0, 1.0, norms)
    return base64.b64encode(cut.astype("<f2").tobytes()).decode("ascii")


def unpack_vectors(text: str, rows: int) -> np.ndarray | None:
    """The float32 matrix `pack_vectors` stored, or None when it does not hold `rows` rows."""
    try:
        raw = np.frombuffer(base64.b64decode(text, validate=True), dtype="<f2")
    except (ValueError, TypeError):
        return None
    if rows <= 0 or raw.size % rows:
        return None
    return raw.reshape(rows, -1).astype(np.float32)


def pack_spans(spans: Sequence[tuple[int, int]]) -> str:
    return ";".join(f"{start}:{end}" for start, end in spans)


def unpack_spans(text: str) -> list[tuple[int, int]] | None:
    try:
        pairs = [part.split(":") for part in text.split(";") if part]
        return [(int(start), int(end)) for start, end in pairs]
    except ValueError:
        return None


def cut_query(vector: Sequence[float]) -> np.ndarray:
    """A question vector cut and renormalised like the stored sentence vectors."""
    cut = np.asarray(vector, dtype=np.float32)[:SENTENCE_DIMS]
    norm = float(np.linalg.norm(cut))
    return cut / norm if norm else cut


def add_sentence_vectors(nodes: Sequence[BaseNode], embedder: BaseEmbedding) -> None:
    """Store the vectors of the sentences of `nodes` in their metadata (in place).

    A sentence repeated by overlapping chunks is embedded once.
    """
    spans_of: list[list[tuple[int, int]]] = []
    rows_of: list[list[int]] = []
    texts: dict[str, int] = {}  # each distinct text -> its row in the batch
    for node in nodes:
        content = node.get_content(metadata_mode=MetadataMode.NONE)
        spans = sentence_spans(content)
        spans_of.append(spans)
        rows_of.append(
            [texts.setdefault(_document_text(node, content[a:b]), len(texts)) for a, b in spans]
        )
    if not texts:
        return
    vectors = np.asarray(embedder.get_text_embedding_batch(list(texts)), dtype=np.float32)
    for node, spans, rows in zip(nodes, spans_of, rows_of, strict=True):
        if not spans:
            continue
        node.metadata[SPANS_KEY] = pack_spans(spans)
        node.metadata[VECTORS_KEY] = pack_vectors(vectors[rows])
        for keys in (node.excluded_embed_metadata_keys, node.excluded_llm_metadata_keys):
            keys.extend(key for key in SENTENCE_KEYS if key not in keys)


def _document_text(node: BaseNode, sentence: str) -> str:
    """`sentence` shown to the embedder as its chunk is (the chunk's template and title)."""
    template = getattr(node, "text_template", "{content}")
    title = node.metadata.get("title", "")
    return template.replace("{metadata_str}", str(title)).replace("{content}", sentence)
