"""Smoke test of the reader benchmark on an invented SQuAD-format file and the hashing
embedder: the split into indexed and absent halves, every case asked, the tables written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.reader import Row, run_set, sweep, table
from bench.reader_data import answer_kind, squad_set

ARTICLES = [
    ("Bệnh viện Đa khoa tỉnh Quảng Trị năm 2023 tiếp nhận hơn 250.000 lượt khám.",
     "Năm 2023 bệnh viện tiếp nhận bao nhiêu lượt khám?", "hơn 250.000 lượt khám"),
    ("Thành phố Đà Nẵng thu hút hơn 800 triệu USD vốn đầu tư nước ngoài trong năm 2023.",
     "Đà Nẵng thu hút bao nhiêu vốn đầu tư nước ngoài?", "hơn 800 triệu USD"),
    ("Trường THPT Lý Tự Trọng có 98,6% học sinh đỗ tốt nghiệp năm 2023.",
     "Bao nhiêu phần trăm học sinh trường Lý Tự Trọng đỗ tốt nghiệp?", "98,6%"),
    ("Hiệu trưởng Trần Văn Nam cho biết trường tổ chức 120 buổi ôn tập miễn phí.",
     "Ai là hiệu trưởng?", "Trần Văn Nam"),
]  # fmt: skip


def squad_file(path: Path) -> Path:
    data = []
    for n, (context, question, answer) in enumerate(ARTICLES):
        qa = {"id": f"q{n}", "question": question,
              "answers": [{"text": answer, "answer_start": context.index(answer)}]}  # fmt: skip
        data.append({"title": f"Bài {n}", "paragraphs": [{"context": context, "qas": [qa]}]})
    path.write_text(json.dumps({"data": data}, ensure_ascii=False), encoding="utf-8")
    return path


def test_reader_bench_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path / "models"))
    source = squad_file(tmp_path / "tiny.json")
    qs = squad_set("tiny", tmp_path / "work", 2, 5, source=source)
    assert len(list((tmp_path / "work" / "tiny" / "corpus").iterdir())) == 2
    assert len(qs.cases) == 2 and len(qs.absent) == 2  # the other half's questions
    rows = run_set(qs, tmp_path / "work", False, None, "hashing")
    assert [row.group for row in rows] == ["answerable", "answerable", "absent", "absent"]
    lines = "\n".join(table("tiny", rows) + sweep("tiny", rows))
    assert "| **all absent** | 2 |" in lines
    assert "\n| 0.00 | " in lines
    # Replayed from the saved retrieval results, the same answers come back.
    again = run_set(qs, tmp_path / "work", True, None, "hashing")
    assert [r.short_answer for r in again] == [r.short_answer for r in rows]


@pytest.mark.parametrize(
    ("gold", "kind"),
    [(["23/3/2022"], "date"), (["98,6%"], "percent"), (["hơn 800 triệu USD"], "number"),
     (["Trần Văn Nam"], "name"), (["ung thư thanh quản"], "phrase"),
     (["bướu nhỏ, giai đoạn sớm, tái phát còn khu trú tại chỗ"], "long")],
)  # fmt: skip
def test_answer_kinds_come_from_the_gold_text(gold, kind):
    assert answer_kind(gold) == kind


def test_sweep_counts_both_sides():
    def row(group, correct, support, abstained=False):
        return Row("x", "k", group, correct, correct, abstained, support, 1, 1.0, 2.0,
                   "q", ["a"], "a", "a")  # fmt: skip

    rows = [row("answerable", True, 0.9), row("answerable", True, 0.4), row("absent", False, 0.5)]
    lines = sweep("s", rows)
    assert "| 0.00 | 2/2 · 0/1 |" in "".join(lines[4:5]) or lines[4].startswith(
        "| 0.00 | 2/2 · 0/1"
    )
    assert lines[10].startswith("| 0.60 | 1/2 · 1/1")
