"""Where the `assistant` command writes, and how text from outside is made safe to print.

`out` is stdout (results, tables), `err` is stderr (progress, notes, errors) so that
`--json` output on stdout stays machine-readable. `plain`/`shown` turn article text, file
names and messages into text that is neither terminal codes nor rich markup.

Not here: options or settings (`options.py`), any command.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from assistant.text.normalize import escape_controls

# A log file gets whole lines, not 80 columns; ":x:" in an article is text, not an emoji.
err = Console(stderr=True, soft_wrap=True, emoji=False)
out = Console(soft_wrap=True, emoji=False)


def plain(value: object) -> str:
    """Text from outside (articles, file names, messages) with its control characters, ANSI
    escapes among them, shown as `\\xNN`; newlines and tabs are kept."""
    return escape_controls(str(value), keep="\n\t")


def shown(value: object) -> str:
    """`plain(value)` with rich markup escaped: `[b]` and `[/i]` in an article are text."""
    return escape(plain(value))


def progress_bars() -> Progress:
    """Progress bars on stderr, shown only at a terminal; tasks carry a `rate` field."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
        console=err, disable=not err.is_terminal, transient=False,
    )  # fmt: skip
