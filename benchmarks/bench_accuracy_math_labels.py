"""Benchmark: ``accuracy`` against TRL's ``accuracy_reward`` on labelled competition-level model solutions.

Data: the JSONL built by :mod:`benchmarks.accuracy_math_data` from public model outputs (Qwen2.5-Math-1.5B / -7B and
their RL fine-tunes on MATH-500 and OlympiadBench, Qwen2.5-Math harness outputs with its verdicts; source, commit and
licences in that module), with the labels audited in :mod:`benchmarks.accuracy_math_audits`. It is not in the
repository; the benchmark reads it from ``--data PATH``, else from ``$GRPO_PLUS_ACCURACY_MATH_DATA``, else from the
builder's default output path, and turns into a note row saying how to build it when none exists.

Rows (as in :mod:`benchmarks.bench_accuracy_labels`, with this benchmark's targets):

1. per answer style (``boxed``, ``multi_value``, ``hash_answer``, ``answer_phrase``, ``bare_latex``,
   ``last_expression``; a style without completions gets no row) and all styles together: agreement of our reward
   (defaults) with the audited labels next to TRL's; precision, recall and false-positive rate of both in the
   notes. Target: agreement ≥ 98 % and false positives ≤ 0.5 % for every style;
2. the wrong completions in which the gold is written somewhere (an intermediate result, one candidate of several):
   false-positive rate of both;
3. throughput (TRL time / our time) on the same completions: a random sample (seed 0) of at most
   ``THROUGHPUT_SAMPLE`` completions split into disjoint chunks, interleaved rounds after a warm-up chunk, median and
   min-max of the per-round ratios (both graders take minutes per thousand of these long solutions on a loaded
   2-core machine, so the whole set would take hours). Target ≥ 1×.

Quick mode (smoke run): at most 60 completions per style and 2 rounds of 24 completions.

Run ``python -m benchmarks.bench_accuracy_math_labels [--quick] [--data PATH]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks.accuracy_math_data import DEFAULT_OUT, STYLES  # noqa: E402
from benchmarks.bench_accuracy_labels import (  # noqa: E402
    _quality_row,
    _score,
    _throughput_row,
    _trap_row,
    load_records,
)
from benchmarks.common import note_row  # noqa: E402

logger = logging.getLogger(__name__)

ENV_VAR = "GRPO_PLUS_ACCURACY_MATH_DATA"
AGREEMENT_TARGET = 98.0
FP_TARGET = 0.5
TITLE = "accuracy competition labels"
THROUGHPUT_SAMPLE = 2000
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


def run(quick: bool = False, data: str | os.PathLike | None = None) -> list[dict]:
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
    our_scores = _score(ours, records)
    trl_scores = _score(accuracy_reward, records)
    targets = {"agreement_target": AGREEMENT_TARGET, "fp_target": FP_TARGET, "title": TITLE}
    rows = []
    for style in STYLES:
        picked = [k for k, r in enumerate(records) if r["style"] == style]
        if picked:
            rows.append(
                _quality_row(
                    style,
                    [records[k] for k in picked],
                    [our_scores[k] for k in picked],
                    [trl_scores[k] for k in picked],
                    **targets,
                )
            )
    rows.append(_quality_row("all styles", records, our_scores, trl_scores, **targets))
    rows.append(_trap_row(records, our_scores, trl_scores, fp_target=FP_TARGET, title=TITLE))
    if quick:
        rows.append(_throughput_row("all styles", records[:72], 2, ours, accuracy_reward, title=TITLE))
    else:
        sample = random.Random(0).sample(records, min(THROUGHPUT_SAMPLE, len(records)))
        rows.append(_throughput_row("all styles", sample, 3, ours, accuracy_reward, title=TITLE))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subsample and 2 small rounds: a smoke run")
    parser.add_argument("--data", help=f"labelled JSONL (default: ${ENV_VAR}, else {DEFAULT_OUT})")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    rows = run(quick=args.quick, data=args.data)
    from benchmarks.run import emit_table

    emit_table(rows, "python -m benchmarks.bench_accuracy_math_labels" + (" --quick" if args.quick else ""))


if __name__ == "__main__":
    main()
