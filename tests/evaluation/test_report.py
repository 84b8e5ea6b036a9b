"""Reports: JSON and Markdown from the same data, and changes against a baseline."""

from __future__ import annotations

import json
import re

import pytest

from assistant.answering.types import abstention
from assistant.errors import SuiteError
from assistant.evaluation.metrics import score_case, summarise
from assistant.evaluation.report import changes, load_report, report_dict, write_reports
from assistant.evaluation.runner import SuiteRun
from assistant.evaluation.suite import Case, Suite, Thresholds


def run(outcomes: dict[str, bool], name: str = "mini") -> SuiteRun:
    """A run whose cases pass (abstain when they should) or fail as `outcomes` says."""
    cases = [
        Case(id=i, question="Tổng thu | ngân sách?", expect={"abstain": True}) for i in outcomes
    ]
    suite = Suite(name=name, cases=cases, thresholds=Thresholds(min_accuracy=0.9))
    results = [
        score_case(case, abstention("q")) if ok else score_case(case, None, "boom")
        for case, ok in zip(cases, outcomes.values(), strict=True)
    ]
    summary = summarise(results)
    missed = ["accuracy"] if summary.accuracy < 0.9 else []
    return SuiteRun(suite, results, summary, missed, {"backend": "extractive"})


def test_both_reports_are_written(tmp_path):
    report = report_dict([run({"a": True, "b": False})])
    json_path, md_path = write_reports(report, tmp_path / "reports" / "mini-1")
    assert json_path.name == "mini-1.json" and md_path.name == "mini-1.md"
    data = json.loads(json_path.read_text("utf-8"))
    suite = data["suites"][0]
    assert suite["name"] == "mini" and suite["passed"] is False
    assert [c["id"] for c in suite["cases"]] == ["a", "b"]
    assert suite["thresholds"] == {"min_accuracy": 0.9}
    text = md_path.read_text("utf-8")
    assert "## mini: **FAILED**" in text and "| accuracy | 0.500 | ≥ 0.9 |" in text
    assert "| a | ✅ | Tổng thu \\| ngân sách? | (abstain) |" in text  # a | is escaped
    assert "error: boom" in text


def test_changes_against_a_baseline():
    before = report_dict([run({"a": True, "b": False, "gone": True})])
    after = report_dict([run({"a": False, "b": True, "new": True})])
    found = {(c.case, c.change) for c in changes(before, after)}
    assert found == {
        ("a", "newly failing"),
        ("b", "newly passing"),
        ("new", "new case"),
        ("gone", "removed case"),
    }
    assert changes(after, after) == []


def test_a_baseline_of_another_suite_is_not_a_removal():
    before = report_dict([run({"a": True}, name="other")])
    after = report_dict([run({"a": True})])
    assert [c.change for c in changes(before, after)] == ["new case"]


def test_a_bad_baseline_is_refused(tmp_path):
    path = tmp_path / "b.json"
    path.write_text("{not json")
    with pytest.raises(SuiteError, match="cannot read the baseline"):
        load_report(path)
    path.write_text('{"cases": []}')
    with pytest.raises(SuiteError, match="not an eval report"):
        load_report(path)


def test_article_text_in_the_markdown_report_cannot_render(tmp_path):
    report = report_dict([run({"a": True})])
    report["suites"][0]["cases"][0]["got"] = "![x](http://evil.example/a.png) <img src=x>"
    _, md_path = write_reports(report, tmp_path / "r")
    text = md_path.read_text("utf-8")
    assert "![x]" not in text and not re.search(r"(?<!\\)<img", text)
    assert "\\!\\[x\\](http://evil.example/a.png) \\<img src=x\\>" in text
