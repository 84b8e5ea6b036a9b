"""The `assistant` command: the root group that gathers the command groups, and `main()`.

Commands live one group per module: `models.py` (models fetch/verify/list), `index.py`
(index update/rebuild/status/export/import, search), `ask.py` (ask, ask --batch, chat),
`evals.py` (eval run/list/import-squad); what they share is in `options.py` (settings
from flags, choices, the error-to-one-line group) and `console.py` (stdout/stderr, safe
text, progress bars). Every command takes `--corpus` and `--index` (env `ASSISTANT_CORPUS`,
`ASSISTANT_INDEX`). Library errors (`AssistantError`) become one line on stderr and exit
status 1.

Imports flow one way: this module imports the command modules, they import the shared
ones, and nothing but the entry point (`assistant.cli:main`, `python -m assistant.cli`)
and tests imports this one. Not here: any command.
"""

from __future__ import annotations

import logging

import click

from assistant.cli import ask, evals, index, models
from assistant.cli.options import AssistantGroup

__all__ = ["cli", "main"]


@click.group(cls=AssistantGroup)
@click.version_option(package_name="vn-report-assistant")
@click.option("-v", "--verbose", is_flag=True, help="Show library log messages.")
def cli(verbose: bool) -> None:
    """Vietnamese report assistant: index articles, search them, answer with citations."""
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR)
    logging.getLogger("assistant.indexing.heal").setLevel(logging.WARNING)  # a repair is said


for _command in (models.group, index.group, index.search, ask.ask, ask.chat, evals.group):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="assistant")
