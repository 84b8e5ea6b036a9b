"""Passages made straight from article files, for answerer tests without retrieval."""

from __future__ import annotations

from pathlib import Path

from assistant.answering.question import Question
from assistant.answering.support import support
from assistant.answering.terms import text_terms
from assistant.corpus.article import Article
from assistant.corpus.reader import parse_article_bytes, read_article
from assistant.indexing.chunking import VietnameseChunker, article_document
from assistant.retrieval.passage import Passage


def article_from_text(text: str, name: str = "bai.txt") -> Article:
    return parse_article_bytes(text.encode("utf-8"), Path(name))


def article_from_file(path: Path) -> Article:
    return read_article(path, path.parent, 5_000_000)


def passages_of(*articles: Article, max_chars: int = 400) -> list[Passage]:
    chunker = VietnameseChunker(max_chars=max_chars)
    passages = []
    for article in articles:
        for node in chunker.get_nodes_from_documents([article_document(article, "v1")]):
            meta = node.metadata
            passages.append(
                Passage(
                    node.node_id,
                    article.id,
                    article.title,
                    article.date,
                    node.get_content(),
                    meta["start"],
                    meta["end"],
                    0.5,
                    author=article.author,
                )
            )
    return passages


def best_passages(question: Question, passages: list[Passage], k: int = 5) -> list[Passage]:
    """A stand-in for retrieval: the passages sharing most terms with the question."""
    return sorted(
        passages,
        key=lambda p: support(question, text_terms(p.text), text_terms(p.title)),
        reverse=True,
    )[:k]
