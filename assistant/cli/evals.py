"""The `assistant eval` commands: run suites, list them, import a SQuAD dataset.

`eval run SUITE…` answers every case the way `ask`/`chat` do, prints a table, writes a JSON
and a Markdown report, compares with `--baseline`, and exits 1 when a suite misses a
threshold (2 when a suite cannot be run at all), so CI can gate on it. `--llm` is applied
to the settings by `options.settings_options`; `--k` goes to the runner, where it beats a
suite's own `k`.

Not here: scoring or report formats (`assistant.evaluation`).
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.table import Table

from assistant.cli.console import err, out, progress_bars, shown
from assistant.cli.options import settings_options
from assistant.config import Settings
from assistant.errors import SuiteError

EXIT_THRESHOLD_MISSED = 1
EXIT_CANNOT_RUN = 2


class _CannotRun(click.ClickException):
    exit_code = EXIT_CANNOT_RUN


@click.group("eval")
def group() -> None:
    """Check the answers against eval suites (YAML files in evals/)."""


@group.command("run")
@settings_options(llm=True)
@click.argument("suites", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--report",
    "report_stem",
    type=click.Path(path_type=Path),
    help="Write PATH.json and PATH.md [evals/reports/<suites>-<time>].",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="An earlier JSON report: list the cases that newly fail or newly pass.",
)
@click.option("--k", type=click.IntRange(1, 50), help="Passages given to the answerer.")
@click.option(
    "--index-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Keep the index of a suite's own corpus here, to reuse on the next run.",
)
def eval_run(
    settings: Settings,
    suites: tuple[Path, ...],
    report_stem: Path | None,
    baseline: Path | None,
    k: int | None,
    index_dir: Path | None,
) -> None:
    """Run eval SUITES (files or folders) and score every case."""
    from assistant.evaluation.report import (
        changes,
        default_stem,
        load_report,
        report_dict,
        write_reports,
    )
    from assistant.evaluation.suite import find_suites, load_suite

    try:
        loaded = [load_suite(path) for path in find_suites(list(suites))]
        before = load_report(baseline) if baseline else None
    except SuiteError as error:
        raise _CannotRun(str(error)) from None
    if not loaded:
        raise _CannotRun("no suite files (*.yaml) found in " + ", ".join(map(str, suites)))
    runs = [_run_one(suite, settings, index_dir, k) for suite in loaded]
    report = report_dict(runs)
    stem = report_stem or default_stem(loaded)
    json_path, md_path = write_reports(
        report, stem.with_suffix("") if stem.suffix in (".json", ".md") else stem
    )
    err.print(f"reports: {shown(json_path)}, {shown(md_path)}", highlight=False)
    if before is not None:
        _print_changes(changes(before, report), baseline)
    failed = [run for run in runs if not run.passed]
    for run in failed:
        err.print(
            f"[red]FAILED[/] {shown(run.suite.name)}: {shown('; '.join(run.missed))}",
            highlight=False,
        )
        names = ", ".join(run.summary.failed) or "none"
        err.print(f"  failing cases: {shown(names)}", highlight=False)
    if failed:
        raise SystemExit(EXIT_THRESHOLD_MISSED)


def _run_one(suite, settings: Settings, index_dir: Path | None, k: int | None):
    from assistant.errors import AssistantError
    from assistant.evaluation.runner import run_suite

    started = time.monotonic()
    with progress_bars() as progress:
        indexing = progress.add_task(
            f"{suite.name}: indexing", total=None, rate="", visible=suite.corpus is not None
        )
        answering = progress.add_task(f"{suite.name}: cases", total=len(suite.cases), rate="")

        def on_index(done: int, total: int, chunks: int) -> None:
            progress.update(indexing, completed=done, total=total, rate=f"{chunks} chunks")

        def on_case(done: int, total: int, result) -> None:
            rate = f"{done / max(time.monotonic() - started, 1e-6):.1f} cases/s"
            progress.update(answering, completed=done, total=total, rate=rate)

        folder = index_dir / suite.name if index_dir and suite.corpus else None
        try:
            run = run_suite(
                suite, settings, index_dir=folder, on_index=on_index, on_case=on_case, k=k
            )
        except AssistantError as error:
            raise _CannotRun(f"{suite.name}: {error}") from None
    _print_run(run)
    return run


def _print_run(run) -> None:
    title = f"{shown(run.suite.name)} ({len(run.results)} cases)"
    table = Table(title=title, title_justify="left")
    for column in ("case", "ok", "expected", "got", "gold", "ms"):
        table.add_column(column, overflow="fold")
    for r in run.results:
        expected = "(abstain)" if r.should_abstain else "; ".join(r.expected)
        got = f"[red]error: {shown(r.error)}[/]" if r.error else shown(r.short_answer or r.got)
        rank = (str(r.gold_rank) if r.gold_rank else "miss") if r.gold_article else ""
        ok = "[green]✓[/]" if r.correct else "[red]✗[/]"
        table.add_row(shown(r.id), ok, shown(expected), got, rank, f"{r.latency_ms:.0f}")
    out.print(table)
    s = run.summary

    def rate(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1%}"

    p95 = s.latency_ms.get("all", {}).get("p95", 0)
    p50 = s.latency_ms.get("all", {}).get("p50", 0)
    verdict = (
        "[green]passed[/]" if run.passed else f"[red]FAILED[/] ({shown('; '.join(run.missed))})"
    )
    out.print(
        f"accuracy {rate(s.accuracy)} · answerable right {rate(s.answer_accuracy)} · "
        f"must-abstain abstained {rate(s.abstention)} · "
        f"hit@k {rate(s.hit_at_k)} · MRR {'n/a' if s.mrr is None else f'{s.mrr:.3f}'} · "
        f"citation support {rate(s.citation_support)} · "
        + (
            f"wrong claims caught {rate(s.claims_caught)} · right claims kept "
            f"{rate(s.claims_kept)} · "
            if s.claims_caught is not None or s.claims_kept is not None
            else ""
        )
        + f"p50 {p50:.0f} ms, p95 {p95:.0f} ms · {verdict}",
        highlight=False,
    )


def _print_changes(found, baseline: Path) -> None:
    if not found:
        out.print(f"No case changed since {shown(baseline)}.", highlight=False)
        return
    out.print(f"Changes since {shown(baseline)}:", highlight=False)
    for change in found:
        colour = {"newly failing": "red", "newly passing": "green"}.get(change.change, "yellow")
        case = shown(f"{change.suite}/{change.case}")
        out.print(f"  [{colour}]{change.change}[/] {case}", highlight=False)


@group.command("list")
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path))
def eval_list(folders: tuple[Path, ...]) -> None:
    """List the suites in FOLDERS [evals/] with their case counts."""
    from assistant.evaluation.suite import find_suites, load_suite

    try:
        paths = find_suites(list(folders) or [Path("evals")])
    except SuiteError as error:
        raise _CannotRun(str(error)) from None
    table = Table()
    for column in ("suite", "file", "cases", "corpus", "thresholds"):
        table.add_column(column, overflow="fold")
    invalid = 0
    for path in paths:
        try:
            suite = load_suite(path)
        except SuiteError as error:
            invalid += 1
            table.add_row("[red]invalid[/]", shown(path), "", "", shown(error))
            continue
        gates = ", ".join(
            f"{k} {v}" for k, v in suite.thresholds.model_dump(exclude_none=True).items()
        )
        corpus = str(suite.corpus) if suite.corpus else "(the configured index)"
        table.add_row(shown(suite.name), shown(path), str(len(suite.cases)), shown(corpus), gates)
    out.print(table)
    if invalid:
        raise SystemExit(EXIT_CANNOT_RUN)


@group.command("import-squad")
@click.argument("source", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the suite file and its corpus/ of contexts.",
)
@click.option("--name", help="Suite name [the file's name].")
@click.option("--limit", type=click.IntRange(1), help="Import at most this many questions.")
def eval_import_squad(source: Path, out_dir: Path, name: str | None, limit: int | None) -> None:
    """Turn a SQuAD-format dataset (UIT-ViQuAD, UIT-ViNewsQA…) into a suite and a corpus."""
    from assistant.evaluation.squad import import_squad

    try:
        report = import_squad(source, out_dir, name=name, limit=limit)
    except SuiteError as error:
        raise _CannotRun(str(error)) from None
    for why in report.skipped:
        err.print(f"[yellow]skipped[/] {shown(why)}", highlight=False)
    out.print(
        f"{shown(report.suite)}: {report.cases} cases ({report.impossible} unanswerable) over "
        f"{report.articles} articles in {shown(report.suite.parent / 'corpus')}",
        highlight=False,
    )
    out.print(f"run it with: assistant eval run {shown(report.suite)}", highlight=False)
