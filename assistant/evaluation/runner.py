"""Running a suite: every case through the same `ChatSession` path as `ask` and `chat`.

A suite with its own corpus is indexed first into a temporary index (or into `index_dir`,
kept between runs so that an unchanged corpus is not embedded again); a suite without one
is answered from the configured index. One unscored question warms the models up, so the
latencies are those of a running app. A case that raises an `AssistantError` is scored as
failed with the error recorded; the run goes on.

Not here: scoring rules (`metrics.py`), report formats (`report.py`), the CLI.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answering.llm import LLMAnswerer
from assistant.answering.service import Assistant, ChatSession
from assistant.answering.types import Answer
from assistant.config import Settings, with_overrides
from assistant.errors import AssistantError
from assistant.evaluation.metrics import (
    CaseResult,
    Summary,
    missed_thresholds,
    score_case,
    summarise,
)
from assistant.evaluation.scripted import ScriptedReplies
from assistant.evaluation.suite import Case, Suite

IndexProgress = Callable[[int, int, int], None]  # articles done, total, chunks embedded
WARM_UP_QUESTION = "Bài viết nói về điều gì?"
CaseProgress = Callable[[int, int, CaseResult], None]  # cases done, total, last result


@dataclass
class SuiteRun:
    suite: Suite
    results: list[CaseResult]
    summary: Summary
    missed: list[str]
    setup: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.missed


def run_suite(
    suite: Suite,
    settings: Settings,
    *,
    index_dir: Path | None = None,
    on_index: IndexProgress | None = None,
    on_case: CaseProgress | None = None,
    assistant: Assistant | None = None,
    k: int | None = None,
) -> SuiteRun:
    """Answer and score every case of `suite`; `assistant` overrides the one built here.

    Passages per answer: `k` if given (a command-line flag), else the suite's, else settings'.
    """
    settings = with_overrides(settings, retrieval={"k": k or suite.k})
    with _suite_assistant(suite, settings, index_dir, on_index, assistant) as (bot, setup):
        if any(case.reply is not None for case in suite.cases):
            setup["backend"] = "scripted"
        _warm_up(bot)
        results = []
        configured = bot.llm
        for case in suite.cases:
            # A scripted case tests verification: its reply is the model's.
            scripted = case.reply is not None and case.question is not None
            bot.llm = (
                LLMAnswerer(ScriptedReplies({case.question: case.reply}))
                if scripted
                else configured
            )
            results.append(run_case(bot, case))
            if on_case is not None:
                on_case(len(results), len(suite.cases), results[-1])
        bot.llm = configured
    summary = summarise(results)
    return SuiteRun(suite, results, summary, missed_thresholds(summary, suite.thresholds), setup)


def run_case(assistant: Assistant, case: Case) -> CaseResult:
    answer, error = answer_case(assistant, case)
    return score_case(case, answer, error)


def answer_case(assistant: Assistant, case: Case) -> tuple[Answer | None, str | None]:
    """The last answer of `case`'s conversation, or None and the error that stopped it."""
    session = ChatSession(assistant)
    answer = None
    try:
        for turn in case.conversation:
            answer = session.ask(turn)
    except AssistantError as error:
        return None, str(error)
    return answer, None


def _warm_up(assistant: Assistant) -> None:
    """One unscored question first, so that latency is measured warm (model loaded)."""
    # A real problem shows up again, and is recorded, in the first case.
    with contextlib.suppress(AssistantError):
        assistant.ask(WARM_UP_QUESTION)


@contextmanager
def _suite_assistant(
    suite: Suite,
    settings: Settings,
    index_dir: Path | None,
    on_index: IndexProgress | None,
    assistant: Assistant | None,
) -> Iterator[tuple[Assistant, dict[str, Any]]]:
    from assistant.wiring import build_assistant, build_index_service

    setup = {
        "backend": settings.llm.backend if settings.llm.backend != "none" else "extractive",
        "embedding": settings.embedding.model,
        "k": settings.retrieval.k,
        "index": str(settings.index),
    }
    if suite.corpus is None:
        yield assistant or build_assistant(settings), setup
        return
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as scratch:
        folder = index_dir or Path(scratch)
        own = with_overrides(settings, corpus=suite.corpus, index=folder)
        service = build_index_service(own)
        report = service.update(on_index)
        setup |= {
            "index": str(folder) if index_dir else "(temporary)",
            "corpus": str(suite.corpus),
            "articles": report.added + report.changed + report.unchanged,
        }
        yield assistant or build_assistant(own, service), setup
