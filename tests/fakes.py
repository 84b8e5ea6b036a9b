"""Real fake implementations for tests: no mocks, no model files, no network.

`ScriptedLLM` is a llama-index `CustomLLM` whose replies are queued in advance: every
complete, chat or stream call takes the next one (a string, or an exception to raise),
streams it in a few pieces, and records the prompt it was given in `prompts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import (
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_completion_callback


class ScriptedLLM(CustomLLM):
    """An LLM that answers from a script; `prompts` holds what it was asked, in order."""

    replies: list[Any] = Field(default_factory=list, description="Strings or exceptions.")
    prompts: list[str] = Field(default_factory=list)
    pieces: int = Field(3, ge=1, description="How many deltas a streamed reply comes in.")

    def __init__(self, replies: Sequence[str | Exception] = (), **kwargs: Any) -> None:
        super().__init__(replies=list(replies), **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "scripted_llm"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted", context_window=4096, num_output=512)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._next(prompt))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        reply = self._next(prompt)

        def deltas() -> CompletionResponseGen:
            text = ""
            for piece in split_into(reply, self.pieces):
                text += piece
                yield CompletionResponse(text=text, delta=piece)

        return deltas()

    def _next(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.replies:
            raise AssertionError(f"ScriptedLLM has no reply left for prompt {prompt[:200]!r}")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply


def split_into(text: str, pieces: int) -> list[str]:
    """`text` cut into at most `pieces` non-empty parts that join back to it."""
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]
