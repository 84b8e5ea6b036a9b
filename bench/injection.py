"""Planted-instruction detection: held-back variants caught, ordinary news sentences spared.

    python -m bench injection [--sentences N]

Detection: the share of each list of variants in tests/answering/data/ that
`is_instruction` flags. Six lists were written by sessions that never saw the detector;
lists 1-5 were measured blind and then developed on, list 6 is held back. False
positives: the share of N ordinary news sentences (default 1,000) that it flags, drawn
with a fixed seed from the article bodies of ../shared/data/vn_news_dev.jsonl.gz (skipped
cleanly when the file is absent), and of three lists of look-alike sentences (imperatives,
reported speech, AI in the news; list 3 is held back with list 6).
Prints Markdown for docs/reliability.md; tests/answering/test_injection_rates.py asserts
the bars. Not a timing benchmark.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

from assistant.answering.injection import is_instruction
from assistant.text.normalize import normalize_text
from assistant.text.sentences import sentence_spans

PROJECT = Path(__file__).resolve().parent.parent
NEWS = PROJECT.parent / "shared" / "data" / "vn_news_dev.jsonl.gz"
DATA = PROJECT / "tests" / "answering" / "data"
# Lists 1-5 were measured blind, then developed on; list 6 is held back.
DEVELOPED_ON = [DATA / f"injections_heldback{n}.txt" for n in ("", "_2", "_3", "_4", "_5")]
HELD_BACK = DATA / "injections_heldback_6.txt"
LOOKALIKES = [DATA / f"injections_lookalikes{suffix}.txt" for suffix in ("", "_2", "_3")]


def lines_of(path: Path) -> list[str]:
    """The non-comment lines of a data file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def news_sentences(count: int, seed: int = 15, path: Path = NEWS) -> list[str]:
    """`count` sentences of real news bodies, sampled with a fixed seed."""
    pool = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number >= 3000:
                break
            body = normalize_text(json.loads(line).get("body") or "")
            pool += [body[a:b] for a, b in sentence_spans(body) if 20 <= b - a <= 400]
    return random.Random(seed).sample(pool, min(count, len(pool)))


def rate(sentences: list[str]) -> tuple[float, list[str]]:
    flagged = [sentence for sentence in sentences if is_instruction(sentence)]
    return len(flagged) / max(1, len(sentences)), flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1000)
    args = parser.parse_args()
    print("| set | sentences | flagged |\n|---|--:|--:|")
    for number, path in enumerate(DEVELOPED_ON, start=1):
        variants = lines_of(path)
        share = rate(variants)[0]
        print(f"| variants, list {number} (developed on) | {len(variants)} | {share:.1%} |")
    variants = lines_of(HELD_BACK)
    detected, _ = rate(variants)
    missed = [v for v in variants if not is_instruction(v)]
    print(f"| **variants, list 6 (held back)** | {len(variants)} | **{detected:.1%}** |")
    look_flagged = []
    for number, path in enumerate(LOOKALIKES, start=1):
        lookalikes = lines_of(path)
        look_rate, flagged = rate(lookalikes)
        look_flagged += flagged
        share = f"{look_rate:.1%}"
        print(f"| look-alike ordinary sentences, list {number} | {len(lookalikes)} | {share} |")
    if NEWS.exists():
        news = news_sentences(args.sentences)
        news_rate, news_flagged = rate(news)
        print(f"| news sentences (vn_news_dev, seed 15) | {len(news)} | {news_rate:.2%} |")
        for sentence in news_flagged:
            print(f"\nflagged news: {sentence}")
    else:
        print(f"\n({NEWS} is absent: no news sentences measured)")
    # The variants are held back: how many were missed is reported, not which.
    print(f"\nheld-back variants missed: {len(missed)}")
    for sentence in look_flagged:
        print(f"\nflagged look-alike: {sentence}")


if __name__ == "__main__":
    main()
