"""Eval reports: a run as JSON (for scripts and `--baseline`) and as Markdown (for people).

The JSON report is `{"created", "suites": [{"name", "path", "setup", "passed", "missed",
"thresholds", "summary", "cases": [CaseResult…]}]}`; `changes()` compares two of them case
by case. The Markdown report has one table of metrics per suite and one row per case with
expected vs got and the cited quotes.

Not here: the console table (the CLI renders it from the same data).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import SuiteError
from assistant.evaluation.runner import SuiteRun
from assistant.evaluation.suite import Suite


def report_dict(runs: list[SuiteRun]) -> dict:
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "suites": [
            {
                "name": run.suite.name,
                "path": str(run.suite.path) if run.suite.path else None,
                "setup": run.setup,
                "passed": run.passed,
                "missed": run.missed,
                "thresholds": run.suite.thresholds.model_dump(exclude_none=True),
                "summary": run.summary.to_dict(),
                "cases": [result.to_dict() for result in run.results],
            }
            for run in runs
        ],
    }


def default_stem(suites: list[Suite]) -> Path:
    """`reports/<suite names>-<UTC time>` beside the first suite file."""
    folder = (suites[0].path.parent if suites[0].path else Path("evals")) / "reports"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"{'+'.join(suite.name for suite in suites)}-{stamp}"


def write_reports(report: dict, stem: Path) -> tuple[Path, Path]:
    """Write `stem.json` and `stem.md`; returns both paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    json_path, md_path = stem.with_name(stem.name + ".json"), stem.with_name(stem.name + ".md")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    md_path.write_text(markdown(report), "utf-8")
    return json_path, md_path


def load_report(path: Path) -> dict:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SuiteError(f"{path}: cannot read the baseline report ({error})") from error
    if not isinstance(report, dict) or not isinstance(report.get("suites"), list):
        raise SuiteError(f"{path}: not an eval report (no `suites` list)")
    return report


@dataclass(frozen=True)
class Change:
    suite: str
    case: str
    change: str  # "newly failing", "newly passing", "new case", "removed case"


def changes(baseline: dict, current: dict) -> list[Change]:
    """What differs, case by case, between two reports of the same suites."""
    found = []
    before = _outcomes(baseline)
    after = _outcomes(current)
    for key, passed in after.items():
        if key not in before:
            found.append(Change(*key, "new case"))
        elif passed != before[key]:
            found.append(Change(*key, "newly passing" if passed else "newly failing"))
    suites = {suite for suite, _ in after}
    found += [
        Change(*key, "removed case") for key in before if key not in after and key[0] in suites
    ]
    return found


def _outcomes(report: dict) -> dict[tuple[str, str], bool]:
    return {
        (suite["name"], case["id"]): bool(case.get("correct"))
        for suite in report.get("suites", [])
        for case in suite.get("cases", [])
    }


def markdown(report: dict) -> str:
    lines = [f"# Eval report, {report['created']}", ""]
    for suite in report["suites"]:
        s = suite["summary"]
        verdict = "passed" if suite["passed"] else "**FAILED**: " + "; ".join(suite["missed"])
        setup = ", ".join(f"{k} `{v}`" for k, v in suite["setup"].items())
        lines += [f"## {suite['name']}: {verdict}", "", f"Run with {setup}.", ""]
        lines += ["| Metric | Value | Threshold |", "|---|---|---|"]
        gates = suite["thresholds"]
        for label, value, gate in [
            ("accuracy", s["accuracy"], gates.get("min_accuracy")),
            (
                "answerable: right (short answer)",
                s.get("answer_accuracy"),
                gates.get("min_answer_accuracy"),
            ),
            ("answerable: gold in the reply", s.get("reply_accuracy"), None),
            ("answerable: abstained", s.get("over_abstention"), None),
            (
                "must abstain: abstained",
                s.get("abstention"),
                gates.get("min_abstention", gates.get("min_accuracy"))
                if s.get("abstention") is not None
                else None,
            ),
            ("abstention accuracy", s["abstention_accuracy"], gates.get("min_abstention_accuracy")),
            ("hit@k (gold article)", s["hit_at_k"], gates.get("min_hit_at_k")),
            ("MRR (gold article)", s["mrr"], gates.get("min_mrr")),
            ("citation support", s["citation_support"], gates.get("min_citation_support")),
            ("wrong claims caught", s.get("claims_caught"), gates.get("min_claims_caught")),
            ("right claims kept", s.get("claims_kept"), gates.get("min_claims_kept")),
        ]:
            shown = "n/a" if value is None else f"{value:.3f}"
            lines.append(f"| {label} | {shown} | {'' if gate is None else f'≥ {gate}'} |")
        lines.append(f"| cases (errors) | {s['cases']} ({s['errors']}) | |")
        lines += ["", "| Kind | n | p50 ms | p95 ms |", "|---|---|---|---|"]
        for kind, t in s["latency_ms"].items():
            lines.append(f"| {kind} | {t['n']} | {t['p50']:.0f} | {t['p95']:.0f} |")
        lines += [
            "",
            "| Case | OK | Question | Expected | Got | Gold rank | Citations |",
            "|---|---|---|---|---|---|---|",
        ]
        for case in suite["cases"]:
            lines.append(_case_row(case))
        lines.append("")
    return "\n".join(lines)


def _case_row(case: dict) -> str:
    expected = "; ".join(case["expected"])
    if case["should_abstain"]:
        expected = "(abstain)"
    elif len(case["expected"]) > 1:
        expected = f"{case['match']} of: {expected}"
    got = f"error: {case['error']}" if case["error"] else case["got"]
    cited = "<br>".join(f"[{c['n']}] {c['article_id']}: “{c['quote']}”" for c in case["citations"])
    cells = [
        case["id"],
        "✅" if case["correct"] else "❌",
        case["question"],
        expected,
        got,
        str(case["gold_rank"] or "–") if case["gold_article"] else "",
        cited,
    ]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


# Quotes come from articles: escaped so that no link, image or HTML in one renders.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>!|])")


def _cell(text: str) -> str:
    return _MARKDOWN_ACTIVE.sub(r"\\\1", " ".join(str(text).split()))
