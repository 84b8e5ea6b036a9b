"""The web app's Evals tab: pick a suite, run it with the eval harness, show its report.

Runs through `assistant.evaluation` exactly as `assistant eval run` does (same runner,
metrics and report files in `evals/reports/`); this module only lists suites and turns a
report into escaped HTML: quotes come from articles and may hold markup. The chat tab's
example questions are taken from the suites too (`example_questions`), so they are questions
the evals check the index answers.

Not here: scoring, suite parsing or report formats (`assistant.evaluation`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from assistant.answering.service import Assistant
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.report import default_stem, report_dict, write_reports
from assistant.evaluation.runner import run_suite
from assistant.evaluation.suite import find_suites, load_suite

Progress = Callable[[float, str], None]


def suite_choices(folder: Path) -> list[tuple[str, str]]:
    """(label, path) for every suite file in `folder`; an invalid one is labelled so."""
    try:
        paths = find_suites([folder])
    except AssistantError:
        return []
    choices = []
    for path in paths:
        try:
            suite = load_suite(path)
            label = f"{suite.name} ({len(suite.cases)} câu hỏi)"
        except AssistantError:
            label = f"{path.name} (tệp không hợp lệ)"
        choices.append((label, str(path)))
    return choices


def example_questions(folder: Path, n: int = 4) -> list[str]:
    """The first `n` answerable one-turn questions of the suites in `folder` that ask the
    app's own index (no corpus of their own, no scripted LLM reply), in suite order."""
    try:
        paths = find_suites([folder])
    except AssistantError:
        return []
    questions: list[str] = []
    for path in paths:
        try:
            suite = load_suite(path)
        except AssistantError:
            continue
        if suite.corpus is not None:
            continue
        for case in suite.cases:
            if case.question and not case.expect.abstain and case.reply is None:
                questions.append(case.question)
                if len(questions) == n:
                    return questions
    return questions


def run_suite_html(
    path: str | None,
    settings: Settings,
    assistant: Assistant,
    progress: Progress | None = None,
) -> tuple[str, str]:
    """Run the suite at `path`: (status line, report HTML). Errors become the status line."""
    if not path:
        return "Chưa chọn bộ câu hỏi.", ""
    try:
        suite = load_suite(Path(path))

        def on_case(done: int, total: int, _result: object) -> None:
            if progress is not None:
                progress(done / total, f"{done}/{total} câu hỏi")

        # A suite without its own corpus asks the app's own index, through the app's
        # assistant; one with a corpus is indexed into a temporary index by the runner.
        own = assistant if suite.corpus is None else None
        run = run_suite(suite, settings, on_case=on_case, assistant=own)
    except AssistantError as error:
        return f"Không chạy được: {error}", ""
    report = report_dict([run])
    json_path, _ = write_reports(report, default_stem([suite]))
    verdict = "ĐẠT" if run.passed else "KHÔNG ĐẠT: " + "; ".join(run.missed)
    status = f"{suite.name}: {verdict}. Báo cáo: {json_path} (và .md)"
    return status, report_html(report["suites"][0])


def report_html(suite: dict) -> str:
    """One suite of a JSON report as HTML: the metrics, then a row per case."""
    s = suite["summary"]

    def rate(value: float | None) -> str:
        return "–" if value is None else f"{value:.1%}"

    latency = s["latency_ms"].get("all", {})
    metrics = [
        ("Trả lời đúng", rate(s["accuracy"])),
        ("Câu có đáp án: trả lời đúng", rate(s.get("answer_accuracy"))),
        ("Câu không có đáp án: từ chối", rate(s.get("abstention"))),
        ("Từ chối đúng lúc", rate(s["abstention_accuracy"])),
        ("Tìm đúng bài (hit@k)", rate(s["hit_at_k"])),
        ("MRR", "–" if s["mrr"] is None else f"{s['mrr']:.3f}"),
        ("Trích dẫn chứa câu trả lời", rate(s["citation_support"])),
        ("Thời gian p50 / p95", f"{latency.get('p50', 0):.0f} / {latency.get('p95', 0):.0f} ms"),
    ]
    head = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in metrics)
    rows = "".join(_case_row(case) for case in suite["cases"])
    return (
        f"<table class='eval-summary'>{head}</table>"
        "<table class='eval-cases'><tr><th>Mã</th><th>Kết quả</th><th>Câu hỏi</th>"
        "<th>Đáp án mong đợi</th><th>Trả lời</th><th>Nguồn</th></tr>"
        f"{rows}</table>"
    )


def _case_row(case: dict) -> str:
    ok = "✅ đúng" if case["correct"] else "❌ sai"
    expected = "(từ chối trả lời)" if case["should_abstain"] else "; ".join(case["expected"])
    got = f"lỗi: {case['error']}" if case["error"] else case["got"]
    cited = "<br>".join(
        f"[{c['n']}] {html.escape(c['article_id'])}: “{html.escape(c['quote'])}”"
        for c in case["citations"]
    )
    cells = [html.escape(case["id"]), ok, html.escape(case["question"]),
             html.escape(expected), html.escape(got), cited]  # fmt: skip
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"
