"""Benchmark: splitting a batch of completions into steps and mapping step ends to token indices.

Times :func:`grpo_plus.steps.split_completions` on 64 completions of 2,048 tokens (the trainer's call: texts
already decoded) with the offline tiny tokenizers, and compares it with the brute-force reference (decode every
prefix ``ids[:k]``) on a smaller batch. Times are CPU milliseconds (see ``_time_ms``); the wall clock is in
the notes. The multi-byte heavy row is a stress case: the tiny vocabularies split every CJK character and
emoji into 2-4 tokens, each of which goes through the decoding window instead of the per-id cache.
Run ``python -m benchmarks.bench_steps [--quick]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

logger = logging.getLogger(__name__)

BATCH, TOKENS = 64, 2048
TARGET_MS = 200.0  # about 1% of a training step that generates 64 x 2,048 tokens (tens of seconds on one GPU)
WORDS = (
    "Let us compute the value of first then we get so therefore the answer is step multiply add subtract "
    "divide total each friend clips April May half sold remaining equation both sides check"
).split()
SYMBOLS = ["+", "-", "=", "*", "/", "(", ")", ".", ",", ":", "\\frac{1}{2}", "\\boxed{", "}", "$"]
MULTIBYTE = ["é", "×", "≤", "你好", "数学", "🙂", "🚀", "½", "∞", "Ünïcødé", "答案"]


def _random_text(rng: random.Random, num_chars: int, multibyte_rate: float) -> str:
    """Reasoning-like text: words, numbers, symbols, some multi-byte characters, a step break every few lines."""
    parts: list[str] = []
    size = 0
    while size < num_chars:
        r = rng.random()
        if r < multibyte_rate:
            part = rng.choice(MULTIBYTE)
        elif r < 0.6:
            part = rng.choice(WORDS)
        elif r < 0.8:
            part = str(rng.randint(0, 999))
        elif r < 0.93:
            part = rng.choice(SYMBOLS)
        elif r < 0.97:
            part = "\n\n"
        else:
            part = "\n"
        parts.append(part)
        parts.append(" ")
        size += len(part) + 1
    return "".join(parts)


def make_batch(tokenizer, batch: int, tokens: int, multibyte_rate: float, seed: int = 0) -> list[list[int]]:
    """``batch`` completions of exactly ``tokens`` ids; every other one ends in EOS, the rest are truncated."""
    rng = random.Random(seed)
    rows = []
    for j in range(batch):
        num_chars = 3 * tokens
        while True:
            ids = tokenizer.encode(_random_text(rng, num_chars, multibyte_rate), add_special_tokens=False)
            if len(ids) >= tokens:
                break
            num_chars *= 2
        rows.append([*ids[: tokens - 1], tokenizer.eos_token_id] if j % 2 == 0 else ids[:tokens])
    return rows


def brute_force(tokenizer, completion_ids: list[list[int]], separator: str = "\n\n") -> list[list[int]]:
    """Reference: decode every prefix; a step ends at the first token whose prefix decode contains it."""
    from grpo_plus.steps import split_steps

    out = []
    for ids in completion_ids:
        text = tokenizer.decode(ids, skip_special_tokens=True)
        prefixes = [tokenizer.decode(ids[:k], skip_special_tokens=True) for k in range(len(ids) + 1)]
        _, char_ends = split_steps(text, separator)
        ends = []
        for c in char_ends[:-1]:
            ends.append(next(k for k in range(1, len(ids) + 1) if prefixes[k].startswith(text[: c + 1])) - 1)
        ends.append(max(len(ids) - 1, 0))
        out.append(ends)
    return out


def _time_ms(fn, repeats: int) -> tuple[list[float], float]:
    """CPU times in ms of ``repeats`` calls, and their median wall-clock time in ms.

    The work is single-threaded (``TOKENIZERS_PARALLELISM=false``), so CPU time equals wall-clock time on an idle
    machine and, unlike wall-clock time, does not grow when other processes share the cores.
    """
    cpu, wall = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000.0)
        cpu.append((time.process_time() - start_cpu) * 1000.0)
    return cpu, statistics.median(wall)


def _row(benchmark, reference, values, unit, target, met, notes) -> dict:
    return {
        "benchmark": benchmark,
        "reference": reference,
        "median": float(statistics.median(values)),
        "min": float(min(values)),
        "max": float(max(values)),
        "unit": unit,
        "target": target,
        "met": bool(met),
        "notes": notes,
    }


def run(quick: bool = False) -> list[dict]:
    """Benchmark rows (see the module docstring); ``quick=True`` takes a few seconds."""
    from grpo_plus.demo.tiny import build_bpe_tokenizer, build_sentencepiece_tokenizer
    from grpo_plus.steps import split_completions

    repeats = 1 if quick else 7
    rows = []
    tokenizers = {"byte-level BPE": build_bpe_tokenizer(), "SentencePiece-style": build_sentencepiece_tokenizer()}
    cases = [("byte-level BPE", 0.03), ("SentencePiece-style", 0.03), ("byte-level BPE", 0.5)]
    for name, rate in cases:
        tok = tokenizers[name]
        batch = make_batch(tok, BATCH, TOKENS, rate)
        texts = tok.batch_decode(batch, skip_special_tokens=True)
        steps_per_row = statistics.mean(len(s) for s in split_completions(tok, batch, texts=texts)[0])
        times, wall = _time_ms(
            lambda tok=tok, batch=batch, texts=texts: split_completions(tok, batch, texts=texts), repeats
        )
        label = "multi-byte heavy" if rate > 0.1 else "reasoning text"
        rows.append(
            _row(
                f"split_completions {BATCH}x{TOKENS}, {name}, {label}",
                "none (absolute time)",
                times,
                "ms CPU/batch",
                f"< {TARGET_MS:.0f} ms",
                statistics.median(times) < TARGET_MS,
                f"texts passed as the trainer does; {rate:.0%} multi-byte words; {steps_per_row:.1f} steps/completion;"
                f" wall clock {wall:.0f} ms",
            )
        )
        if name == "byte-level BPE" and rate < 0.1:
            times, wall = _time_ms(lambda tok=tok, batch=batch: split_completions(tok, batch), repeats)
            rows.append(
                _row(
                    f"split_completions {BATCH}x{TOKENS}, {name}, texts=None",
                    "none (absolute time)",
                    times,
                    "ms CPU/batch",
                    f"< {TARGET_MS:.0f} ms",
                    statistics.median(times) < TARGET_MS,
                    f"includes the full batch_decode of the completions; wall clock {wall:.0f} ms",
                )
            )

    tok = tokenizers["byte-level BPE"]
    small_batch, small_tokens = (2, 256) if quick else (8, 512)
    batch = make_batch(tok, small_batch, small_tokens, 0.03, seed=1)
    texts = tok.batch_decode(batch, skip_special_tokens=True)
    expected = brute_force(tok, batch)
    fast_ends = split_completions(tok, batch, texts=texts)[1]
    brute_times, _ = _time_ms(lambda: brute_force(tok, batch), 1 if quick else 3)
    fast_times, _ = _time_ms(lambda: split_completions(tok, batch, texts=texts), repeats)
    speedups = [b / statistics.median(fast_times) for b in brute_times]  # CPU time over CPU time
    rows.append(
        _row(
            f"speed-up over brute force, {small_batch}x{small_tokens}, byte-level BPE",
            f"decode every prefix: {statistics.median(brute_times):.0f} ms CPU/batch",
            speedups,
            "x",
            "> 10x, same step ends",
            statistics.median(speedups) > 10 and fast_ends == expected,
            f"same step ends as brute force: {fast_ends == expected}; brute force is quadratic in length",
        )
    )
    return rows


def _markdown(rows: list[dict]) -> str:
    lines = [
        "| benchmark | reference | median | min | max | unit | target | met | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['benchmark']} | {r['reference']} | {r['median']:.1f} | {r['min']:.1f} | {r['max']:.1f} | "
            f"{r['unit']} | {r['target']} | {'yes' if r['met'] else 'no'} | {r['notes']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller brute-force batch")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logger.info("%s", _markdown(run(quick=args.quick)))


if __name__ == "__main__":
    main()
