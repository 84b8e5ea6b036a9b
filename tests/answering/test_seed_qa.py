"""The seed questions, end to end with the real model: at least 22 of 24 right (marker `model`).

Every answer comes from retrieval and extraction over the real seed article; the gold
answers are only compared with, never consulted.
"""

from __future__ import annotations

import json
import shutil

import chromadb
import pytest

from assistant.answering.service import ChatSession
from assistant.config import load_settings
from assistant.evaluation.matching import answer_matches
from assistant.indexing.index_service import IndexService
from assistant.wiring import build_assistant
from tests.conftest import PROJECT, SEED

pytestmark = pytest.mark.model
# The project's copy of ../shared/data/seed_qa.jsonl, so CI needs nothing beside the clone.
SEED_QA = PROJECT / "evals" / "seed_qa.jsonl"


def correct(case: dict, answer) -> bool:
    """Abstained when it should; otherwise the short answer (or, for a list, the reply)."""
    if not case["answers"]:
        return answer.abstained and not answer.citations
    if answer.abstained:
        return False
    said = answer.text if case.get("match") == "all" else answer.short_answer or ""
    return answer_matches(case["answers"], said, match=case.get("match", "all"))


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, real_embedder):
    root = tmp_path_factory.mktemp("seed")
    (root / "corpus").mkdir()
    shutil.copy(SEED, root / "corpus" / SEED.name)
    settings = load_settings(corpus=root / "corpus", index=root / "index")
    client = chromadb.EphemeralClient()
    service = IndexService(
        settings, real_embedder.model_name, lambda: real_embedder, lambda: client
    )
    service.update()
    return build_assistant(settings, service)


def test_the_seed_questions(assistant):
    cases = [json.loads(line) for line in SEED_QA.read_text(encoding="utf-8").splitlines()]
    wrong = []
    for case in cases:
        session = ChatSession(assistant)
        for turn in case.get("turns") or [case["question"]]:
            answer = session.ask(turn)
        if not correct(case, answer):
            wrong.append((case["id"], answer.short_answer, answer.text))
        for citation in answer.citations:
            assert citation.quote  # verbatim-ness is checked in the unit tests
    assert len(cases) == 24
    assert len(cases) - len(wrong) >= 22, wrong
