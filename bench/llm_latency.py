"""How long the optional local LLM (llama.cpp, Qwen2.5-Coder-1.5B Q4_K_M) takes to answer.

    pip install -e '.[llm-local]'   # compiles llama-cpp-python (about 16 minutes here)
    assistant models fetch --llm
    TARGET_TOKENS=1500 THREADS=2 python -m bench.llm_latency

Builds our real answer prompt (`LLMAnswerer.messages`) from seed-article passages until it
reaches about TARGET_TOKENS, then measures model load time, time to first token, prompt and
generation tokens/s, and prints the answer as JSON. Not a test.
"""

from __future__ import annotations

import json
import os
import time

from assistant.answering.llm import LLMAnswerer, chatml_prompt
from assistant.config import load_settings
from assistant.corpus.reader import read_article
from assistant.indexing.chunking import chunk_spans
from assistant.models.gguf import resolve_gguf_path
from assistant.retrieval.passage import Passage
from bench.chunk_size import SEED

QUESTION = "Tổng số đảng viên toàn tỉnh là bao nhiêu?"


def seed_passages() -> list[Passage]:
    article = read_article(SEED, SEED.parent, 1_000_000)
    spans = chunk_spans(article.body, max_chars=1200)
    passages = [
        Passage(f"c{i}", article.id, article.title, article.date, article.body[s:e], s, e, 1.0)
        for i, (s, e) in enumerate(spans)
    ]
    best = next(i for i, p in enumerate(passages) if "27.350" in p.text)
    return [passages[best], *(p for i, p in enumerate(passages) if i != best)]


def main() -> None:
    from llama_cpp import Llama

    target = int(os.environ.get("TARGET_TOKENS", "1500"))
    threads = int(os.environ.get("THREADS", str(os.cpu_count())))
    settings = load_settings()
    started = time.perf_counter()
    llm = Llama(
        model_path=str(resolve_gguf_path(settings.llm.model, settings.models_dir)),
        n_ctx=4096,
        n_threads=threads,
        verbose=False,
    )
    load_s = time.perf_counter() - started
    answerer = LLMAnswerer(None)  # type: ignore[arg-type]  # only builds the prompt
    chosen: list[Passage] = []
    for passage in seed_passages():
        trial = chatml_prompt(answerer.messages(QUESTION, [*chosen, passage]))
        if chosen and len(llm.tokenize(trial.encode())) > target:
            break
        chosen.append(passage)
    prompt = chatml_prompt(answerer.messages(QUESTION, chosen))
    prompt_tokens = len(llm.tokenize(prompt.encode()))
    started = time.perf_counter()
    first, pieces = None, []
    for out in llm.create_completion(
        prompt, max_tokens=256, temperature=0.0, stop=["<|im_end|>", "<|endoftext|>"], stream=True
    ):
        first = first or time.perf_counter()
        pieces.append(out["choices"][0]["text"])
    end = time.perf_counter()
    answer = "".join(pieces)
    generated = len(llm.tokenize(answer.encode(), add_bos=False)) if answer else 0
    result = {
        "threads": threads,
        "load_s": round(load_s, 2),
        "passages": len(chosen),
        "prompt_tokens": prompt_tokens,
        "ttft_s": round(first - started, 2),
        "prompt_tok_per_s": round(prompt_tokens / (first - started), 1),
        "generated_tokens": generated,
        "gen_tok_per_s": round((generated - 1) / (end - first), 1) if generated > 1 else None,
        "total_s": round(end - started, 2),
        "answer": answer,
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
