"""The real local LLM (Qwen2.5-Coder-1.5B Q4_K_M via llama.cpp) answering from the seed article.

Opt-in: marked `llm` (and `slow`); skipped unless the `llm-local` extra is installed and
`assistant models fetch --llm` has been run for the configured models folder.
"""

from __future__ import annotations

import importlib.util

import pytest

from assistant.answering.llm import LLMAnswerer
from assistant.config import load_settings
from assistant.corpus.reader import read_article
from assistant.errors import ModelError
from assistant.indexing.chunking import chunk_spans
from assistant.models.gguf import resolve_gguf_path
from assistant.retrieval.passage import Passage
from assistant.wiring import build_llm
from tests.conftest import SEED

pytestmark = [pytest.mark.llm, pytest.mark.slow]


@pytest.fixture(scope="module")
def answerer() -> LLMAnswerer:
    if importlib.util.find_spec("llama_cpp") is None or (
        importlib.util.find_spec("llama_index.llms.llama_cpp") is None
    ):
        pytest.skip("the llm-local extra is not installed (pip install -e '.[llm-local]')")
    settings = load_settings(llm={"backend": "llama-cpp", "max_tokens": 96})
    try:
        resolve_gguf_path(settings.llm.model, settings.models_dir)
    except ModelError as error:
        pytest.skip(str(error))
    llm = build_llm(settings)
    assert llm is not None
    return LLMAnswerer(llm)


def seed_passages() -> list[Passage]:
    article = read_article(SEED, SEED.parent, 1_000_000)
    spans = chunk_spans(article.body, max_chars=1200)
    return [
        Passage(f"c{i}", article.id, article.title, article.date, article.body[s:e], s, e, 1.0)
        for i, (s, e) in enumerate(spans)
    ]


def test_the_local_model_answers_with_the_figure_and_a_citation(answerer: LLMAnswerer) -> None:
    passages = seed_passages()
    best = next(i for i, p in enumerate(passages) if "27.350" in p.text)
    ordered = [passages[best], *(p for i, p in enumerate(passages) if i != best)][:3]

    reply = "".join(answerer.stream("Tổng số đảng viên toàn tỉnh là bao nhiêu?", ordered))

    assert "27.350" in reply, reply
    assert "[1]" in reply, reply


def test_the_local_model_condenses_a_follow_up(answerer: LLMAnswerer) -> None:
    history = [
        (
            "Tính đến 15/9/2022 tỉnh kết nạp được bao nhiêu đảng viên mới?",
            "Tính đến 15/9/2022, toàn tỉnh kết nạp được 344 đảng viên mới [1].",
        )
    ]
    question = "Con số đó đạt bao nhiêu phần trăm chỉ tiêu?"
    condensed = answerer.condense(question, history)
    assert condensed and condensed != question
    assert "\n" not in condensed
