"""A scripted LLM for eval suites that test verification: each question gets a fixed reply.

A suite case with `reply:` says what "the model" answers; the verifier then decides what a
user is shown. So the wrong replies an LLM could give (a changed figure, a figure that
counts something else, the byline date, an obeyed instruction…) are tested on every run,
in CI, with no model. A reply cites `[@an exact phrase]`, which becomes `[n]` for the
first passage the model was given (as it appears in the prompt) whose text holds the
phrase, so a case does not depend on the order retrieval returns passages in; a phrase no
given passage holds becomes `[0]`, a citation of nothing. Literal `[n]` markers stay.

Not here: verification (`answering/verify.py`), scoring (`metrics.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import (
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_completion_callback

from assistant.answering.types import NOT_FOUND
from assistant.text.normalize import normalize_inline

_PASSAGE = re.compile(r'<passage n="(\d+)">(.*?)</passage>', re.S)
_QUESTION = re.compile(r"^Câu hỏi: (.*)$", re.M)
_CITE = re.compile(r"\[@([^\]]+)\]")


def _key(text: str) -> str:
    return " ".join(normalize_inline(text).casefold().split())


class ScriptedReplies(CustomLLM):
    """Answers each known question with its scripted reply, citations resolved."""

    replies: dict[str, str] = Field(default_factory=dict)

    def __init__(self, replies: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(replies={_key(q): r for q, r in replies.items()}, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "scripted_replies"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted", context_window=8192, num_output=512)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self.reply_to(prompt))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        reply = self.reply_to(prompt)

        def deltas() -> CompletionResponseGen:
            yield CompletionResponse(text=reply, delta=reply)

        return deltas()

    def reply_to(self, prompt: str) -> str:
        """The scripted reply to the question in `prompt`, its `[@…]` citations numbered."""
        asked = _QUESTION.findall(prompt)
        reply = self.replies.get(_key(asked[-1])) if asked else None
        if reply is None:
            return NOT_FOUND
        given = [(int(n), _key(body)) for n, body in _PASSAGE.findall(prompt)]

        def number(match: re.Match) -> str:
            phrase = _key(match.group(1))
            found = next((n for n, body in given if phrase in body), 0)
            return f"[{found}]"

        return _CITE.sub(number, reply)
