"""Suite files: what a valid one reads as, and the line and field named for a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import SuiteError
from assistant.evaluation.suite import find_suites, load_suite
from tests.conftest import PROJECT

GOOD = """\
name: mini
corpus: articles
k: 3
thresholds: {min_accuracy: 0.5, max_p95_ms: 900}
cases:
  - id: total
    question: Tổng số đảng viên toàn tỉnh là bao nhiêu?
    expect: {any: [27.350, 27350]}
    article: seed.txt
    tags: [number]
  - id: date
    question: Kế hoạch số 43 ban hành ngày nào?
    expect: {any: [2022-03-23]}
  - id: followup
    turns: ["Có bao nhiêu chi bộ đã tổ chức đại hội?", "Còn tỷ lệ thì sao?"]
    expect:
      all: ["78,56%"]
  - id: none
    question: Tổng thu ngân sách là bao nhiêu?
    expect: {abstain: true}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "articles").mkdir(exist_ok=True)
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_suite(tmp_path):
    suite = load_suite(write(tmp_path, GOOD))
    assert suite.name == "mini" and suite.k == 3 and suite.corpus == tmp_path / "articles"
    assert suite.thresholds.min_accuracy == 0.5 and suite.thresholds.max_p95_ms == 900
    total, date, followup, none = suite.cases
    # Written unquoted, YAML would read 27.35 (a float) and a date object: answers stay text.
    assert total.expect.answers == ["27.350", "27350"] and total.expect.match == "any"
    assert date.expect.answers == ["2022-03-23"]
    assert followup.conversation == [
        "Có bao nhiêu chi bộ đã tổ chức đại hội?",
        "Còn tỷ lệ thì sao?",
    ]
    assert followup.expect.match == "all" and followup.kind == "followup"
    assert none.expect.abstain and none.kind == "abstain" and total.kind == "number"
    assert date.kind == "question"


def test_the_seed_suite_is_valid():
    suite = load_suite(PROJECT / "evals" / "seed.yaml")
    assert len(suite.cases) == 24 and suite.corpus is None
    assert sum(case.expect.abstain for case in suite.cases) == 2
    assert sum(len(case.conversation) > 1 for case in suite.cases) == 2
    assert suite.thresholds.min_accuracy == 0.9


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("tags: [number]", "tagz: [number]"), 10, "cases[0].tagz: Extra inputs"),
        (
            ("expect: {abstain: true}", "expect: {abstain: true, any: [x]}"),
            20,
            "cases[3].expect: `abstain: true` cannot be combined",
        ),
        (
            ("    expect:\n      all", "    question: x\n    expect:\n      all"),
            14,
            "cases[2]: give either `question` or `turns`",
        ),
        (("id: date", "id: total"), 11, "cases[1].id: 'total' is used twice"),
        (("k: 3", "k: 0"), 3, "k: Input should be greater than or equal to 1"),
        (("min_accuracy: 0.5", "min_accuracy: 1.5"), 4, "thresholds.min_accuracy"),
        (("expect: {any: [2022-03-23]}", "expect: {}"), 13, "give exactly one of"),
        (("corpus: articles", "corpus: nowhere"), 2, "is not a folder"),
        (("question: Tổng thu", "question: 'Tổng thu"), 21, "quoted scalar on line 19"),
    ],
)
def test_a_bad_suite_names_its_line_and_field(tmp_path, change, line, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(SuiteError) as error:
        load_suite(path)
    assert str(error.value).startswith(f"{path}:{line}: "), str(error.value)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a suite is a mapping"),
        ("- a\n- b\n", "a suite is a mapping"),
        ("name: x\ncases: []\n", "cases: List should have at least 1 item"),
        ("cases: [{id: a, question: q, expect: {any: [1]}}]\n", "name: Field required"),
    ],
)
def test_a_suite_without_its_parts(tmp_path, text, message):
    with pytest.raises(SuiteError, match=message):
        load_suite(write(tmp_path, text))


def test_unreadable_and_missing_suites(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Đà Nẵng".encode("utf-16"))
    with pytest.raises(SuiteError, match="cannot read the suite"):
        load_suite(path)
    with pytest.raises(SuiteError, match="no such suite file or folder"):
        find_suites([tmp_path / "missing.yaml"])


def test_folders_are_searched_for_suites(tmp_path):
    (tmp_path / "b.yaml").write_text("x")
    (tmp_path / "a.yml").write_text("x")
    (tmp_path / "notes.md").write_text("x")
    assert [p.name for p in find_suites([tmp_path])] == ["a.yml", "b.yaml"]
