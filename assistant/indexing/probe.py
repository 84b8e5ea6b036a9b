"""The probe: fixed texts whose vectors tell whether an embedder is a collection's model.

The first time vectors are written into a collection, the embedder writing them embeds
three invented Vietnamese chunks (in the document format) and one question (with the query
prompt), and their float32 vectors are kept in the collection's metadata (`PROBE_KEY`).
Before an embedding server writes into a collection that already holds vectors, it embeds
the same texts, and each vector must agree with the stored one (cosine >= `AGREEMENT`): a
server serving another model, or the same model without its query prompt, stops the
update with one line before anything is written. A collection built before probes existed
is checked on `SELF_CHECK_CHUNKS` of its stored chunks instead, re-embedded by the server;
if they agree, the server's probe is kept for next time.

Not here: embedding (`server_embedding.py`), naming collections per model (`store.py`).
"""

from __future__ import annotations

import base64

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode
from llama_index.core.vector_stores.utils import metadata_dict_to_node

from assistant.errors import EmbeddingServerError
from assistant.indexing.store import ChunkStore

PROBE_KEY = "assistant:probe"
AGREEMENT = 0.99
SELF_CHECK_CHUNKS = 4

# Invented text: no real article, person or figure.
PROBE_DOCUMENTS = (
    (
        "Tỉnh Hà Giang mở rộng vùng trồng chè",
        "Năm nay tỉnh trồng mới 1.250 ha chè Shan tuyết, nâng tổng diện tích lên 22.400 ha.",
    ),
    (
        "Hội nghị tổng kết công tác y tế dự phòng",
        "Tỷ lệ tiêm chủng đầy đủ cho trẻ dưới một tuổi đạt 96,4%, vượt chỉ tiêu đề ra.",
    ),
    (
        "Khánh thành cầu vượt sông tại huyện Lập Thạch",
        "Cây cầu dài 420 m, rộng 12 m, tổng vốn đầu tư 315 tỷ đồng, rút ngắn 18 km đường đi.",
    ),
)
PROBE_QUESTION = "Năm nay tỉnh trồng mới bao nhiêu héc-ta chè?"


def probe_vectors(embedder: BaseEmbedding, document_template: str) -> np.ndarray:
    """The probe's vectors: the three documents, then the question, as float32 rows."""
    documents = [
        document_template.replace("{title}", title).replace("{text}", text)
        for title, text in PROBE_DOCUMENTS
    ]
    rows = embedder.get_text_embedding_batch(documents)
    rows.append(embedder.get_query_embedding(PROBE_QUESTION))
    return _unit(np.asarray(rows, dtype=np.float32))


def pack_probe(vectors: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vectors, dtype="<f4").tobytes()).decode("ascii")


def unpack_probe(text: str, rows: int) -> np.ndarray | None:
    """The stored probe, or None when it is not a matrix of `rows` rows."""
    try:
        raw = np.frombuffer(base64.b64decode(text, validate=True), dtype="<f4")
    except (ValueError, TypeError):
        return None
    if raw.size == 0 or raw.size % rows:
        return None
    return raw.reshape(rows, -1).astype(np.float32)


def check_collection(
    store: ChunkStore, embedder: BaseEmbedding, document_template: str, *, served: bool
) -> None:
    """Make sure `embedder` may write into `store` (see the module docstring), keeping a
    probe in the collection for next time; EmbeddingServerError, writing nothing, if not."""
    metadata = dict(store.collection.metadata or {})
    rows = len(PROBE_DOCUMENTS) + 1
    stored = unpack_probe(metadata[PROBE_KEY], rows) if PROBE_KEY in metadata else None
    if stored is not None and not served:
        return  # a collection is named after its in-process model
    if stored is None and served and store.count() > 0:
        _self_check(store, embedder)
    mine = probe_vectors(embedder, document_template)
    if stored is not None:
        _agree(store, stored, mine, "fixed probe texts")
        return
    # Chroma refuses its own `hnsw:` keys in `modify`; they stay as they were.
    kept = {key: value for key, value in metadata.items() if not key.startswith("hnsw:")}
    store.collection.modify(metadata={**kept, PROBE_KEY: pack_probe(mine)})


def _self_check(store: ChunkStore, embedder: BaseEmbedding) -> None:
    """Re-embed a few stored chunks exactly as they were embedded; compare the vectors."""
    got = store.collection.get(
        limit=SELF_CHECK_CHUNKS, include=["documents", "metadatas", "embeddings"]
    )
    texts = [
        metadata_dict_to_node(meta, text=document).get_content(metadata_mode=MetadataMode.EMBED)
        for meta, document in zip(got["metadatas"], got["documents"], strict=True)
    ]
    if not texts:
        return
    stored = _unit(np.asarray(got["embeddings"], dtype=np.float32))
    mine = _unit(np.asarray(embedder.get_text_embedding_batch(texts), dtype=np.float32))
    _agree(store, stored, mine, f"{len(texts)} of its stored chunks")


def _agree(store: ChunkStore, stored: np.ndarray, mine: np.ndarray, what: str) -> None:
    same_shape = stored.shape == mine.shape
    cosine = float(np.min(np.sum(stored * mine, axis=1))) if same_shape else 0.0
    if cosine < AGREEMENT:
        raise EmbeddingServerError(
            f"the embedding server's vectors disagree with the collection {store.name} "
            f"(cosine {cosine:.3f} < {AGREEMENT} on {what}): it does not serve the model "
            "the index was built with, or not with the same prompts; nothing was written. "
            "Serve that model, or set ASSISTANT_EMBEDDING__MODEL to the served model's name "
            "so its vectors get a collection of their own"
        )


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)
