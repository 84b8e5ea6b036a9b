"""Memory of the running web app: `python app.py` over an index, before and after questions.

Starts the app as `make run` does (its own process, the configured model), waits for the
page, reads the process's resident memory (VmRSS) and peak (VmHWM) from /proc, asks the
seed questions through `gradio_client` as a browser would, and reads them again.

    .venv/bin/python -m bench.app_memory [--index DIR] [--corpus DIR]

Defaults: the project's `index/` and `corpus/` (run `make index` first). Prints Markdown.
Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.answer_quality import QUESTIONS

PROJECT = Path(__file__).resolve().parents[1]


def memory_mb(pid: int) -> dict[str, float]:
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0]) / 1024
    return figures


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    from gradio_client import Client

    from assistant.evaluation.suite import load_suite

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=PROJECT / "index")
    parser.add_argument("--corpus", type=Path, default=PROJECT / "corpus")
    args = parser.parse_args(argv)
    env = os.environ | {"ASSISTANT_INDEX": str(args.index), "ASSISTANT_CORPUS": str(args.corpus)}
    port = free_port()
    started = time.perf_counter()
    app = subprocess.Popen(
        [sys.executable, str(PROJECT / "app.py"), "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if app.poll() is not None or time.perf_counter() - started > 300:
                    raise SystemExit("the app did not start (run `make index` first?)") from None
                time.sleep(0.5)
        ready = time.perf_counter() - started
        idle = memory_mb(app.pid)
        client = Client(url, verbose=False)
        questions = [case.question for case in load_suite(QUESTIONS).cases if case.question]
        for question in questions:
            client.predict(question, [], [], api_name="/on_ask")
        asked = memory_mb(app.pid)
    finally:
        app.terminate()
        app.wait(timeout=30)
    print(f"index {args.index}; page served after {ready:.1f} s\n")
    print("| | RSS MB | peak RSS MB |\n|---|--:|--:|")
    print(f"| started, no question yet | {idle['VmRSS']:,.0f} | {idle['VmHWM']:,.0f} |")
    print(f"| after {len(questions)} questions | {asked['VmRSS']:,.0f} | {asked['VmHWM']:,.0f} |")


if __name__ == "__main__":
    main()
