"""The `assistant ask` and `assistant chat` commands: questions in, cited answers out.

`ask QUESTION` prints one answer with its sources (`--json`: the answer contract of
`Answer.to_dict`); `ask --batch FILE` answers a file of questions in one process, one JSON
object per line; `chat` is a terminal conversation with follow-ups. Both take `--llm`
and `--k`, applied to the settings by `options.settings_options`.

Not here: answering (`assistant.answering`), building it (`wiring.build_assistant`),
settings from flags (`options.py`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

import click

from assistant.answering.types import Answer
from assistant.cli.console import err, out, shown
from assistant.cli.options import settings_options
from assistant.config import Settings
from assistant.errors import AssistantError, QuestionError
from assistant.text.display import display_date


def _build(settings: Settings) -> Any:
    from assistant.wiring import build_assistant

    return build_assistant(settings)


def render(answer: Answer) -> None:
    """Print an answer and its sources for a person at a terminal (article text as text)."""
    style = "yellow" if answer.abstained else "bold"
    out.print(f"[{style}]{shown(answer.text)}[/]", highlight=False)
    for note in answer.notes:
        out.print(f"[yellow]Lưu ý:[/] {shown(note)}", highlight=False)
    if answer.citations:
        out.print("\n[bold]Nguồn[/]")
    for citation in answer.citations:
        byline = " · ".join(part for part in (display_date(citation.date), citation.author) if part)
        out.print(f"\\[{citation.n}] {shown(citation.title)} ({shown(byline)})", highlight=False)
        where = (
            f"ký tự {citation.start}–{citation.end}"
            if citation.start is not None
            else f"thông tin bài viết: {citation.field}"
        )
        out.print(f"    [dim]{shown(citation.article_id)}, {shown(where)}[/]", highlight=False)
        out.print(f"    “{shown(citation.quote)}”", highlight=False)


@click.command("ask")
@settings_options(llm=True, k=True)
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@click.option(
    "--batch",
    type=click.File("rb"),
    help="Answer every question of FILE (- for stdin): one per line, or JSON lines with "
    "`question` or `turns` (and optional `id`). Prints one JSON object per line.",
)
def ask(settings: Settings, question: str | None, as_json: bool, batch: BinaryIO | None) -> None:
    """Answer QUESTION from the indexed articles, citing the passages it used."""
    if (question is None) == (batch is None):
        raise click.UsageError("give either a QUESTION or --batch FILE")
    assistant = _build(settings)
    if batch is not None:
        failures = _run_batch(assistant, batch)
        if failures:
            raise click.ClickException(f"{failures} line(s) of the batch could not be answered")
        return
    answer = assistant.ask(question)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        render(answer)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _batch_items(lines: BinaryIO) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, item, error) for each non-blank line; a bad line is an error row."""
    for number, raw in enumerate(lines, 1):
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            yield number, None, f"line {number}: not valid UTF-8 text"
            continue
        if not text:
            continue
        if not text.startswith("{"):
            yield number, {"question": text}, None
            continue
        try:
            # NaN and Infinity are Python's extension, not JSON: echoing them back would
            # make an output line no JSON reader accepts.
            item = json.loads(text, parse_constant=_no_constants)
        except json.JSONDecodeError as error:
            yield number, None, f"line {number}: not valid JSON ({error.msg})"
            continue
        except ValueError as error:
            yield number, None, f"line {number}: not valid JSON ({error})"
            continue
        if not isinstance(item, dict):
            yield number, None, f"line {number}: needs a `question` string or a `turns` list"
            continue
        turns = item.get("turns")
        if turns is not None and not (
            isinstance(turns, list) and turns and all(isinstance(t, str) for t in turns)
        ):
            yield number, item, f"line {number}: `turns` must be a non-empty list of strings"
        elif isinstance(item.get("question"), str) or turns:
            yield number, item, None
        else:  # still echo its id
            yield number, item, f"line {number}: needs a `question` string or a `turns` list"


def _run_batch(assistant: Any, lines: BinaryIO) -> int:
    from assistant.answering.service import ChatSession

    failures = 0
    for number, item, problem in _batch_items(lines):
        row: dict[str, Any] = {"id": (item or {}).get("id", number)}
        try:
            if problem:
                raise QuestionError(problem)
            session = ChatSession(assistant)
            turns = item.get("turns") or [item["question"]]
            answers = [session.ask(turn) for turn in turns]
            row.update(answers[-1].to_dict())
            if len(answers) > 1:
                row["turns"] = [answer.to_dict() for answer in answers]
        except AssistantError as error:
            failures += 1
            row["error"] = str(error)
            err.print(f"[red]error[/] {shown(error)}", highlight=False)
        click.echo(json.dumps(row, ensure_ascii=False))
        sys.stdout.flush()
    return failures


@click.command("chat")
@settings_options(llm=True, k=True)
def chat(settings: Settings) -> None:
    """Talk with the assistant; follow-up questions refer to the previous answers.

    Commands: /moi (or /new) starts a new conversation, /thoat (or /exit, Ctrl-D) leaves.
    """
    from assistant.answering.service import ChatSession

    session = ChatSession(_build(settings))
    err.print("Hỏi về các bài viết đã lập chỉ mục. /moi: hội thoại mới, /thoat: thoát.")
    while True:
        try:
            question = click.prompt("Bạn", prompt_suffix=": ", err=True).strip()
        except (EOFError, click.Abort):
            err.print()
            return
        if question in ("/thoat", "/exit", "/quit"):
            return
        if question in ("/moi", "/new", "/reset"):
            session.reset()
            err.print("[dim]Đã bắt đầu hội thoại mới.[/]")
            continue
        try:
            _chat_turn(session, question)
        except AssistantError as error:  # one bad turn does not end the conversation
            err.print(f"[red]{shown(error)}[/]", highlight=False)


def _chat_turn(session: Any, question: str) -> None:
    """Stream an LLM's draft (dim), then print the verified answer with its sources."""
    streamed = False
    for event in session.stream(question):
        if isinstance(event, Answer):
            if streamed:
                out.print("\n[dim]— đã kiểm tra với nguồn:[/]")
            render(event)
            out.print()
        else:
            streamed = True
            out.print(f"[dim]{shown(event)}[/]", end="", highlight=False)
