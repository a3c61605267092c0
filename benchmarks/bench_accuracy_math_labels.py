"""Benchmark: ``accuracy`` against TRL's ``accuracy_reward`` on labelled competition-level model solutions.

Data: the JSONL built by :mod:`benchmarks.accuracy_math_data` from public model outputs (Qwen2.5-Math-1.5B / -7B and
their RL fine-tunes on MATH-500 and OlympiadBench, Qwen2.5-Math harness outputs with its verdicts; 29 instruct models
of the Llama, Gemini, DeepSeek, GigaChat, YandexGPT, Mistral and Qwen2.5 families on MATH-500 problems, with the
verdicts of a simple-evals-style LLM judge; DeepSeek-R1-Distill-Qwen-1.5B with its ``<think>`` block and
Qwen2.5-Math-1.5B on 20 MATH-500 problems, with the source's matcher; Qwen2.5-Math-1.5B and -Instruct under the
R1-Zero prompt, which opens the thinking block, with CS336's ``r1_zero`` grader; sources, commits and licences in
that module), with the labels audited
in :mod:`benchmarks.accuracy_math_audits`. It is not in the repository; the benchmark reads it from ``--data PATH``,
else from ``$GRPO_PLUS_ACCURACY_MATH_DATA``, else from the builder's default output path, and turns into a note row
saying how to build it when none exists.

Rows (as in :mod:`benchmarks.bench_accuracy_labels`, with this benchmark's targets):

1. per answer style (``boxed``, ``multi_value``, ``hash_answer``, ``answer_phrase``, ``bare_latex``,
   ``last_expression``, ``think`` and ``think_unfinished``: a thinking block closed or never closed; a style
   without completions gets no row), all styles together, and per model family (our reward is given each record's
   ``prompt`` when it has one, as the trainer passes prompts):
   agreement of our reward (defaults) with the audited labels on every completion, next to TRL's; precision, recall
   and false-positive rate of both in the notes. TRL grades a stratified sample (seed 0: at most
   ``TRL_SAMPLE_PER_GROUP`` completions of every style and of every family, all of a smaller group; ``--trl_full``
   grades every completion, hours on a loaded 2-core machine), and its figures sit beside ours on the same sample.
   Target: agreement ≥ 98 % and false positives ≤ 0.5 % for every style;
2. the wrong completions in which the gold is written somewhere (an intermediate result, one candidate of several):
   false-positive rate of both;
3. throughput (TRL time / our time) on the same completions: a random sample (seed 0) of at most
   ``THROUGHPUT_SAMPLE`` completions split into ``THROUGHPUT_ROUNDS`` + 1 disjoint chunks, interleaved rounds after
   a warm-up chunk, median and min-max of the per-round ratios. Target ≥ 1×.

Quick mode (smoke run): at most 60 completions per style (TRL grades all of them) and 2 rounds of 24 completions.

Run ``python -m benchmarks.bench_accuracy_math_labels [--quick] [--trl_full] [--data PATH]``.
"""

from __future__ import annotations

import logging
import os
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks.accuracy_math_data import DEFAULT_OUT, STYLES, family_of  # noqa: E402
from benchmarks.bench_accuracy_labels import (  # noqa: E402
    NOT_GRADED,
    _throughput_row,
    bench_main,
    load_records,
    quality_rows,
    score,
)
from benchmarks.common import note_row  # noqa: E402

logger = logging.getLogger(__name__)

ENV_VAR = "GRPO_PLUS_ACCURACY_MATH_DATA"
AGREEMENT_TARGET = 98.0
FP_TARGET = 0.5
TITLE = "accuracy competition labels"
THROUGHPUT_SAMPLE = 3000
THROUGHPUT_ROUNDS = 5
TRL_SAMPLE_PER_GROUP = 500
HOW_TO_BUILD = (
    "labelled data not found: build it with `python -m benchmarks.accuracy_math_data --raw DIR --out FILE` from the "
    "public source files listed in benchmarks/accuracy_math_data.py (they are not in the repository), then pass "
    f"`--data FILE` or set {ENV_VAR}=FILE"
)


def data_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """The labelled file to read: ``explicit``, else ``$GRPO_PLUS_ACCURACY_MATH_DATA``, else the builder's default
    output; None when that file does not exist."""
    for candidate in (explicit, os.environ.get(ENV_VAR), DEFAULT_OUT):
        if candidate:
            path = Path(candidate)
            return path if path.is_file() else None
    return None


def _subsample(records: Sequence[dict], per_style: int) -> list[dict]:
    rng = random.Random(0)
    picked = []
    for style in STYLES:
        group = [r for r in records if r["style"] == style]
        picked.extend(rng.sample(group, min(per_style, len(group))))
    return picked


def trl_sample(records: Sequence[dict], per_group: int = TRL_SAMPLE_PER_GROUP) -> list[int]:
    """Indices (sorted) of a stratified sample: for every style and every model family, a random (seed 0) choice of
    ``per_group`` of its completions, or all of a smaller group; the union of those choices."""
    rng = random.Random(0)
    chosen: set[int] = set()
    for key in (lambda r: r["style"], lambda r: family_of(r["model"])):
        groups: dict[str, list[int]] = {}
        for k, record in enumerate(records):
            groups.setdefault(key(record), []).append(k)
        for name in sorted(groups):
            chosen.update(rng.sample(groups[name], min(per_group, len(groups[name]))))
    return sorted(chosen)


def families(records: Sequence[dict]) -> list[str]:
    """The model families present, most completions first."""
    counts = Counter(family_of(record["model"]) for record in records)
    return sorted(counts, key=lambda name: (-counts[name], name))


def run(quick: bool = False, data: str | os.PathLike | None = None, trl_full: bool = False) -> list[dict]:
    """Table rows (see the module docstring); a note row when the labelled data is absent."""
    path = data_path(data)
    if path is None:
        logger.warning("bench_accuracy_math_labels: %s", HOW_TO_BUILD)
        return [note_row(f"{TITLE} (real competition-level solutions)", f"skipped: {HOW_TO_BUILD}")]
    from trl.rewards import accuracy_reward

    from rewards import get_reward

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    records = load_records(path, STYLES)
    if quick:
        records = _subsample(records, 60)
    logger.info("bench_accuracy_math_labels: %d labelled completions from %s", len(records), path)
    ours = get_reward("accuracy")
    ours.pool.warm_up()
    our_scores = score(ours, records)
    picked = range(len(records)) if quick or trl_full else trl_sample(records)
    trl_scores: list = [NOT_GRADED] * len(records)
    for k, value in zip(picked, score(accuracy_reward, [records[k] for k in picked])):
        trl_scores[k] = value
    targets = {"agreement_target": AGREEMENT_TARGET, "fp_target": FP_TARGET, "title": TITLE}
    rows = quality_rows(records, our_scores, trl_scores, STYLES, **targets)
    rows += quality_rows(
        records, our_scores, trl_scores, [f"family {name}" for name in families(records)],
        key=lambda r: f"family {family_of(r['model'])}", overall=False, **targets,
    )
    if quick:
        rows.append(_throughput_row("all styles", records[:72], 2, ours, accuracy_reward, title=TITLE))
    else:
        sample = random.Random(0).sample(records, min(THROUGHPUT_SAMPLE, len(records)))
        rows.append(_throughput_row("all styles", sample, THROUGHPUT_ROUNDS, ours, accuracy_reward, title=TITLE))
    return rows


def main() -> None:
    bench_main(
        __doc__.splitlines()[0], run, "benchmarks.bench_accuracy_math_labels", ENV_VAR, DEFAULT_OUT,
        flags=[("trl_full", "grade every completion with TRL too, not a stratified sample (hours)")],
    )


if __name__ == "__main__":
    main()
