"""Cutting articles into chunks: a llama-index `NodeParser` that is Vietnamese- and offset-aware.

Chunks are packed from whole paragraphs; a paragraph longer than the limit is packed from
whole sentences (with `overlap_sentences` repeated), and only a single over-long sentence
is cut, at a space, so `27.350`, `78,56%` and `23/3/2022` are never split; a run with no
space at all (a 200 KB line) is cut without one, so no chunk is ever over the limit. A heading-like
line that would end a chunk moves to the next one, next to the text it introduces.

Each node's text is exactly `article.body[start:end]`, and the offsets are kept in the node
(start_char_idx/end_char_idx and metadata) so a citation can quote and highlight the span.
The title is embedded (through the node's text template) but is not part of the node text.

Not here: embedding, storage, deciding which articles need chunking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import (
    BaseNode,
    Document,
    MetadataMode,
    NodeRelationship,
    TextNode,
)
from pydantic import Field

from assistant.corpus.article import Article
from assistant.text.sentences import paragraph_spans, sentence_spans

Span = tuple[int, int]

# Metadata stored with every chunk; only the title is shown to the embedding model.
EMBEDDED_METADATA = ("title",)


def article_document(article: Article, version: str) -> Document:
    """The llama-index Document for `article` (its text is the normalised body).

    `version` identifies this article content as chunked and embedded now (see updater).
    """
    return Document(
        id_=article.id,
        text=article.body,
        metadata={
            "article_id": article.id,
            "title": article.title,
            "date": article.date or "",
            "author": article.author or "",
            "article_hash": article.sha256,
            "version": version,
        },
    )


def chunk_id(article_id: str, version: str, ordinal: int) -> str:
    """Deterministic chunk id: re-adding the same version of an article is idempotent."""
    return f"{article_id}#{version}#{ordinal}"


def _is_heading(text: str, span: Span) -> bool:
    content = text[span[0] : span[1]]
    return len(content) <= 120 and "\n" not in content and content[-1] not in '.!?…:;"”'


def _cut_long_sentence(text: str, span: Span, max_chars: int) -> list[Span]:
    """A sentence over the limit in pieces of at most `max_chars`: cut at the last space
    that fits; a run with no space (a pasted URL, a 200 KB line) is cut between two
    characters that are not both letters or digits if one lies in the last half of the
    window, else at the limit itself."""
    pieces, start = [], span[0]
    while span[1] - start > max_chars:
        limit = start + max_chars
        space = text.rfind(" ", start + 1, limit + 1)
        if space > start:
            pieces.append((start, space))
            start = space + 1
            continue
        cut = next(
            (
                at
                for at in range(limit, start + max_chars // 2, -1)
                if not (text[at - 1].isalnum() and text[at].isalnum())
            ),
            limit,
        )
        pieces.append((start, cut))
        start = cut
    pieces.append((start, span[1]))
    return pieces


def _paragraph_units(text: str, span: Span, max_chars: int, overlap: int) -> list[list[Span]]:
    """A paragraph as one unit, or as runs of sentences when it is too long."""
    if span[1] - span[0] <= max_chars:
        return [[span]]
    sentences: list[Span] = []
    for sentence in sentence_spans(text, *span):
        sentences.extend(_cut_long_sentence(text, sentence, max_chars))
    runs: list[list[Span]] = []
    current: list[Span] = []
    for sentence in sentences:
        if current and sentence[1] - current[0][0] > max_chars:
            runs.append(current)
            kept = current[-overlap:] if overlap else []
            current = [s for s in kept if sentence[1] - s[0] <= max_chars]
        current.append(sentence)
    runs.append(current)
    return runs


def chunk_spans(text: str, max_chars: int, overlap_sentences: int = 1) -> list[Span]:
    """Offsets of the chunks of `text`, in order; each at most `max_chars` long when possible."""
    units: list[Span] = []
    for paragraph in paragraph_spans(text):
        for run in _paragraph_units(text, paragraph, max_chars, overlap_sentences):
            units.append((run[0][0], run[-1][1]))
    chunks: list[list[Span]] = []
    current: list[Span] = []
    for unit in units:
        overlaps = bool(current) and unit[0] < current[-1][1]  # runs of one long paragraph
        if current and (overlaps or unit[1] - current[0][0] > max_chars):
            carried: list[Span] = []
            heading = current[-1]
            if (
                not overlaps
                and len(current) > 1
                and _is_heading(text, heading)
                and unit[1] - heading[0] <= max_chars
            ):
                carried = [current.pop()]
            chunks.append(current)
            current = carried
        current.append(unit)
    if current:
        chunks.append(current)
    return [(chunk[0][0], chunk[-1][1]) for chunk in chunks]


class VietnameseChunker(NodeParser):
    """Turns article Documents into offset-carrying chunk nodes (see module docstring)."""

    max_chars: int = Field(400, description="Upper bound on chunk length in characters.")
    overlap_sentences: int = Field(1, description="Sentences repeated inside long paragraphs.")
    document_template: str = Field(
        "title: {title} | text: {text}", description="How a chunk is shown to the embedder."
    )

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        chunks: list[BaseNode] = []
        # llama-index fills metadata_str and content into text_template at embed time.
        text_template = self.document_template.replace("{title}", "{metadata_str}").replace(
            "{text}", "{content}"
        )
        for document in nodes:
            text = document.get_content(metadata_mode=MetadataMode.NONE)
            meta = document.metadata
            spans = chunk_spans(text, self.max_chars, self.overlap_sentences)
            for ordinal, (start, end) in enumerate(spans):
                metadata = {**meta, "ordinal": ordinal, "start": start, "end": end}
                chunks.append(
                    TextNode(
                        id_=chunk_id(meta["article_id"], meta["version"], ordinal),
                        text=text[start:end],
                        start_char_idx=start,
                        end_char_idx=end,
                        metadata=metadata,
                        excluded_embed_metadata_keys=[
                            key for key in metadata if key not in EMBEDDED_METADATA
                        ],
                        excluded_llm_metadata_keys=[
                            "article_hash",
                            "version",
                            "ordinal",
                            "start",
                            "end",
                        ],
                        metadata_template="{value}",
                        text_template=text_template,
                        relationships={NodeRelationship.SOURCE: document.as_related_node_info()},
                    )
                )
        return chunks

    def _postprocess_parsed_nodes(self, nodes: list[BaseNode], parent_doc_map: dict) -> list:
        # The base class re-derives offsets with str.find(), which can land on an earlier
        # repeat of the same text; ours are exact, so put them back afterwards.
        nodes = super()._postprocess_parsed_nodes(nodes, parent_doc_map)
        for node in nodes:
            if isinstance(node, TextNode):
                node.start_char_idx = node.metadata["start"]
                node.end_char_idx = node.metadata["end"]
        return nodes
