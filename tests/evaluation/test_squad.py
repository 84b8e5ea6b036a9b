"""The SQuAD importer: a small dataset written here becomes a suite that runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from assistant.errors import SuiteError
from assistant.evaluation.squad import import_squad
from assistant.evaluation.suite import load_suite

CONTEXT = (
    "Tính đến 30/6/2023, toàn huyện Đồng Xuân kết nạp được 120 đảng viên mới, nâng tổng số "
    "đảng viên của huyện lên 5.432 người. Huyện ủy đã ban hành Kế hoạch số 12 ngày 2/3/2023 "
    "về công tác phát triển đảng viên."
)
DATASET = {
    "version": "v2.0",
    "data": [
        {
            "title": "Đồng Xuân",
            "paragraphs": [
                {
                    "context": CONTEXT,
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Tổng số đảng viên của huyện là bao nhiêu?",
                            "answers": [
                                {"text": "5.432 người", "answer_start": 100},
                                {"text": "5.432", "answer_start": 100},
                                {"text": "5.432", "answer_start": 100},
                            ],
                        },
                        {
                            "id": "q2",
                            "question": "Huyện ngân sách bao nhiêu?",
                            "answers": [],
                            "is_impossible": True,
                            "plausible_answers": [{"text": "120"}],
                        },
                        {"id": "q3", "question": "", "answers": [{"text": "x"}]},
                    ],
                },
                {
                    "context": CONTEXT,
                    "qas": [  # the same context again: one article
                        {
                            "id": "q1",
                            "question": "Kế hoạch số 12 ban hành ngày nào?",
                            "answers": [{"text": "2/3/2023", "answer_start": 150}],
                        }
                    ],
                },
            ],
        }
    ],
}


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "viquad-mini.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_dataset_becomes_a_suite_and_a_corpus(tmp_path):
    report = import_squad(write(tmp_path, DATASET), tmp_path / "out")
    assert report.suite == tmp_path / "out" / "viquad-mini.yaml"
    assert (report.articles, report.cases, report.impossible) == (1, 3, 1)
    assert report.skipped == ["data[0].paragraphs[0].qas[2]: no question"]
    [article] = (tmp_path / "out" / "corpus").iterdir()
    assert article.name == "dong-xuan-00001.md" and CONTEXT in article.read_text("utf-8")
    suite = load_suite(report.suite)
    assert suite.corpus == tmp_path / "out" / "corpus"
    first, impossible, again = suite.cases
    assert first.expect.any == ["5.432 người", "5.432"] and first.article == article.name
    assert impossible.expect.abstain
    assert again.id == "q1-3" and again.expect.any == ["2/3/2023"]  # ids made unique


def test_limit_and_name(tmp_path):
    report = import_squad(write(tmp_path, DATASET), tmp_path / "out", name="thu", limit=1)
    assert report.cases == 1 and report.suite.name == "thu.yaml"
    assert yaml.safe_load(report.suite.read_text("utf-8"))["name"] == "thu"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{oops", ":1: not valid JSON"),
        ('{"version": 1}', "not a SQuAD file"),
        ('{"data": [{"title": "x", "paragraphs": 3}]}', "data[0]: `paragraphs` must be a list"),
        ('{"data": [{"paragraphs": [{"context": "  ", "qas": []}]}]}', "no usable question"),
    ],
)
def test_a_bad_dataset_is_refused_with_where(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SuiteError, match=message.replace("[", r"\[").replace("]", r"\]")):
        import_squad(path, tmp_path / "out")


def test_the_imported_suite_runs_end_to_end(run, tmp_path):
    imported = run(
        "eval",
        "import-squad",
        str(write(tmp_path, DATASET)),
        "--out",
        str(tmp_path / "out"),
        "--name",
        "mini",
    )
    assert imported.exit_code == 0 and "3 cases (1 unanswerable) over 1 articles" in (
        imported.output
    )
    assert "skipped data[0].paragraphs[0].qas[2]: no question" in imported.output
    result = run(
        "eval", "run", str(tmp_path / "out" / "mini.yaml"), "--report", str(tmp_path / "r")
    )
    assert result.exit_code == 0, result.output
    cases = json.loads((tmp_path / "r.json").read_text("utf-8"))["suites"][0]["cases"]
    first = next(case for case in cases if case["id"] == "q1")
    assert first["correct"] and first["gold_rank"] == 1
