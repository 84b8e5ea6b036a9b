"""`assistant eval`: run, list and import-squad, driven as the real command (hashing embedder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.types import Answer, Citation
from tests.conftest import SEED

SUITE = """\
name: mini
corpus: corpus
thresholds: {{min_accuracy: {min_accuracy}}}
cases:
  - id: total
    question: "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
    expect: {{any: ["27 350"]}}
    article: {seed}
    tags: [number]
  - id: rate
    turns: ["Có bao nhiêu chi bộ đã tổ chức đại hội?", "Còn tỷ lệ thì sao?"]
    expect: {{any: ["78.56 %"]}}
    article: {seed}
  - id: budget
    question: "Tổng thu ngân sách của tỉnh năm 2022 là bao nhiêu?"
    expect: {{abstain: true}}
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A suite that brings its own corpus (the seed article), indexed for each run."""
    folder = tmp_path / "suites"
    (folder / "corpus").mkdir(parents=True)
    shutil.copy(SEED, folder / "corpus" / SEED.name)
    path = folder / "mini.yaml"
    path.write_text(SUITE.format(min_accuracy=1.0, seed=SEED.name), encoding="utf-8")
    return path


class BrokenAnswerer(ExtractiveAnswerer):
    """Finds the right passage, then reports a figure that is not in it."""

    def answer(self, question, passages):
        found = super().answer(question, passages)
        if found.abstained:
            return found
        cited = Citation.quoting(1, passages[0], 0, 20)
        return Answer(question.text, "Là 10.000 người [1].", "10.000", False, [cited])


def test_a_suite_runs_prints_writes_reports_and_passes(run, suite, tmp_path):
    result = run("eval", "run", str(suite), "--report", str(tmp_path / "out" / "r"))
    assert result.exit_code == 0, result.output
    assert "mini (3 cases)" in result.output and "27.350" in result.output
    assert "accuracy 100.0%" in result.output and "passed" in result.output
    report = json.loads((tmp_path / "out" / "r.json").read_text("utf-8"))
    cases = {case["id"]: case for case in report["suites"][0]["cases"]}
    assert cases["total"]["correct"] and cases["total"]["gold_rank"] == 1
    assert (
        cases["total"]["citation_supported"] and "27.350" in cases["total"]["citations"][0]["quote"]
    )
    assert cases["rate"]["correct"] and cases["budget"]["abstained"]
    assert report["suites"][0]["setup"]["index"] == "(temporary)"
    assert "| total | ✅ |" in (tmp_path / "out" / "r.md").read_text("utf-8")


def test_k_comes_from_the_flag_then_the_suite(run, suite, tmp_path):
    suite.write_text(suite.read_text("utf-8").replace("corpus: corpus", "corpus: corpus\nk: 3"))
    for flags, k in (((), 3), (("--k", "2"), 2)):
        result = run("eval", "run", str(suite), "--report", str(tmp_path / "r"), *flags)
        assert result.exit_code == 0, result.output
        assert json.loads((tmp_path / "r.json").read_text("utf-8"))["suites"][0]["setup"]["k"] == k


def test_the_default_report_goes_to_reports_beside_the_suite(run, suite):
    assert run("eval", "run", str(suite)).exit_code == 0
    written = sorted(p.suffix for p in (suite.parent / "reports").iterdir())
    assert written == [".json", ".md"]


def test_a_broken_answerer_misses_the_threshold_and_names_the_cases(
    run, suite, tmp_path, monkeypatch
):
    import assistant.wiring as wiring

    real = wiring.build_assistant

    def broken(settings, service=None):
        built = real(settings, service)
        built.extractive = BrokenAnswerer(settings.answer.min_support)
        return built

    good = tmp_path / "good"
    assert run("eval", "run", str(suite), "--report", str(good)).exit_code == 0
    monkeypatch.setattr(wiring, "build_assistant", broken)
    result = run(
        "eval",
        "run",
        str(suite),
        "--report",
        str(tmp_path / "bad"),
        "--baseline",
        str(good) + ".json",
    )
    assert result.exit_code == 1
    assert "FAILED mini: accuracy 0.333 < 1.000" in result.output
    assert "failing cases: total, rate" in result.output
    assert "newly failing mini/total" in result.output
    assert "newly failing mini/rate" in result.output
    bad = json.loads((tmp_path / "bad.json").read_text("utf-8"))["suites"][0]["cases"]
    assert bad[0]["got"] == "Là 10.000 người [1]." and not bad[0]["citation_supported"]


def test_a_lower_threshold_passes_and_an_unchanged_baseline_says_so(run, suite, tmp_path):
    first = tmp_path / "first"
    assert run("eval", "run", str(suite), "--report", str(first)).exit_code == 0
    result = run(
        "eval",
        "run",
        str(suite),
        "--report",
        str(tmp_path / "second"),
        "--baseline",
        str(first) + ".json",
    )
    assert result.exit_code == 0 and "No case changed" in result.output


def test_the_configured_index_is_used_without_a_suite_corpus(run, suite):
    suite.write_text(suite.read_text("utf-8").replace("corpus: corpus\n", ""), "utf-8")
    result = run("eval", "run", str(suite))
    assert result.exit_code == 2 and "assistant index update" in result.output
    assert run("index", "update").exit_code == 0
    assert run("eval", "run", str(suite)).exit_code == 0


def test_a_bad_suite_cannot_run(run, suite):
    suite.write_text(suite.read_text("utf-8").replace("tags: [number]", "tag: number"), "utf-8")
    result = run("eval", "run", str(suite))
    assert result.exit_code == 2
    assert f"{suite}:9: cases[0].tag: Extra inputs are not permitted" in result.output
    assert run("eval", "run", str(suite.parent / "nope.yaml")).exit_code == 2


def test_the_suites_are_listed(run, suite):
    (suite.parent / "broken.yaml").write_text("name: [", "utf-8")
    result = run("eval", "list", str(suite.parent))
    assert result.exit_code == 2  # one suite is invalid, and is shown as such
    assert "mini" in result.output and "3" in result.output and "invalid" in result.output


def test_the_project_suites_are_listed(run, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    result = run("eval", "list")
    assert result.exit_code == 0 and "seed" in result.output and "24" in result.output
