"""A new question's `ask` latency, this working tree against an earlier revision, in one run.

    python -m bench.question_latency [--before REV] [--distractors N] [--rounds R]

Opens the index of `bench.answer_quality --distractors N` (build it first; default 300).
Each round starts one fresh process per revision, alternately (old, new, old, new, ...), so
both see the same machine: it loads the assistant, asks one warm-up question, then asks
every question once, each new to that process (the seed suite's single questions and
bench/data/calibration.jsonl). The earlier revision is `git archive`d into a temporary
folder and run with this venv. Prints p50/p95 of the retrieve, answer and total steps in
Markdown for docs/benchmarks.md, with the CPU time other processes used meanwhile (the
machine's busy time in /proc/stat less the workers' own), and a warning when that passed
5% of the run's CPU: then the figures say little. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.answer_quality import CALIBRATION, QUESTIONS, load_jsonl, load_seed, percentile
from bench.chunk_size import PROJECT

# Only what every revision since issue 9 offers: settings, the assistant, `timings_ms`.
WORKER = """
import json, sys
from pathlib import Path
from assistant.config import load_settings
from assistant.wiring import build_assistant
work, asked = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text("utf-8"))
assistant = build_assistant(load_settings(corpus=work / "corpus", index=work / "index"))
assistant.ask("Câu hỏi khởi động để nạp mô hình?")
print(json.dumps([assistant.ask(question).timings_ms for question in asked]))
"""
STEPS = ("retrieve", "answer", "total")


def checkout(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(PROJECT), "archive", revision], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_worker(tree: Path, work: Path, asked_file: Path) -> list[dict]:
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(work), str(asked_file)],
        cwd=tree, env=environment, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the worker in {tree} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_seconds() -> float:
    """CPU seconds of this process and its finished workers."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="7198fb5", help="earlier revision (git)")
    parser.add_argument("--distractors", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path.home() / ".cache" / "vn-report-assistant" / "bench" / f"answers-{args.distractors}"
    if not (work / "index").exists():
        raise SystemExit(f"no index in {work}; run python -m bench.answer_quality first")
    asked = [case["question"] for case in load_seed(QUESTIONS) if "question" in case]
    asked += [case["question"] for case in load_jsonl(CALIBRATION)]
    timings: dict[str, list[dict]] = {args.before: [], "this tree": []}
    busy, own, started = busy_seconds(), own_seconds(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="latency-") as scratch:
        asked_file = Path(scratch) / "questions.json"
        asked_file.write_text(json.dumps(asked, ensure_ascii=False), "utf-8")
        trees = {args.before: checkout(args.before, Path(scratch)), "this tree": PROJECT}
        for _ in range(args.rounds):
            for label, tree in trees.items():
                timings[label] += run_worker(tree, work, asked_file)
    others = busy_seconds() - busy - (own_seconds() - own)
    share = others / ((time.monotonic() - started) * (os.cpu_count() or 1))
    print(f"## {date.today()} · {platform.node()} · seed + {args.distractors} distractors · "
          f"{args.rounds} rounds × {len(asked)} new questions\n")  # fmt: skip
    print(f"Other processes used {others:.1f} CPU s during the run ({share:.1%} of the machine).\n")
    if share > 0.05:
        print("**Warning: the machine was busy; these figures say little.**\n")
    print("| revision | step | p50 ms | p95 ms |\n|---|---|--:|--:|")
    for label, rows in timings.items():
        for step in STEPS:
            values = [row[step] for row in rows]
            print(f"| {label} | {step} | {percentile(values, 50):.1f} | "
                  f"{percentile(values, 95):.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
