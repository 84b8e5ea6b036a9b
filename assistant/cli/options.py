"""What every `assistant` command shares: the options that become `Settings`, the choice
lists taken from the settings' own types, and the group class that turns library errors
into one line.

`settings_options` builds the settings once per command, through `load_settings`, from
the folder flags (`--corpus`, `--index`, `--models-dir`), `--embedder` and, where a
command asks for them, `--llm` (llm.backend) and `--k` (retrieval.k); flags left unset
fall back to the environment (`ASSISTANT_*`) and the defaults.

Not here: printing (`console.py`), commands (one module per command group).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import click
from pydantic import BaseModel

from assistant.cli.console import plain
from assistant.config import EmbeddingSettings, LLMSettings, load_settings
from assistant.errors import AssistantError


class AssistantGroup(click.Group):
    """Turns AssistantError anywhere below into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AssistantError as error:
            raise click.ClickException(plain(error)) from None


def choices_of(section: type[BaseModel], field: str) -> click.Choice:
    """The values a `Literal` settings field allows, as a click choice."""
    return click.Choice(get_args(section.model_fields[field].annotation))


EMBEDDING_BACKENDS = choices_of(EmbeddingSettings, "backend")
LLM_BACKENDS = choices_of(LLMSettings, "backend")


def settings_options(*, llm: bool = False, k: bool = False) -> Callable[[Callable], Callable]:
    """Options that make the command's first argument, `settings`: the folders and the
    embedder always, `--llm` and `--k` (passages given to the answerer) when asked for."""

    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def wrapper(
            corpus: Path | None,
            index: Path | None,
            models_dir: Path | None,
            embedder: str | None,
            llm_backend: str | None = None,
            answer_k: int | None = None,
            **kwargs: Any,
        ) -> Any:
            settings = load_settings(
                corpus=corpus,
                index=index,
                models_dir=models_dir,
                embedding={"backend": embedder},
                llm={"backend": llm_backend},
                retrieval={"k": answer_k},
            )
            return command(settings, **kwargs)

        # click lists the option applied last first: apply them bottom-up.
        if k:
            wrapper = click.option(
                "--k",
                "answer_k",
                type=click.IntRange(1, 50),
                help="Passages given to the answerer [5].",
            )(wrapper)
        if llm:
            wrapper = click.option(
                "--llm",
                "llm_backend",
                type=LLM_BACKENDS,
                help="Answering backend [settings: llm.backend].",
            )(wrapper)
        for option in reversed(_FOLDER_OPTIONS):
            wrapper = option(wrapper)
        return wrapper

    return decorate


_FOLDER_OPTIONS = (
    click.option("--corpus", type=click.Path(path_type=Path), help="Article folder [corpus/]."),
    click.option("--index", type=click.Path(path_type=Path), help="Index folder [index/]."),
    click.option("--models-dir", type=click.Path(path_type=Path), help="Models cache folder."),
    click.option(
        "--embedder",
        type=EMBEDDING_BACKENDS,
        help="Embedding backend (hashing is for tests).",
    ),
)
