"""Benchmark: ``accuracy`` against TRL's ``accuracy_reward`` on labelled real model completions.

Data: the JSONL built by :mod:`benchmarks.accuracy_data` from public model outputs (GSM8K solutions of GPT-3
"…\\nA: 18", text-davinci-002 "the answer (arabic numerals) is 18", Phi-3.5-mini and LLaMA-7B GSM8K fine-tunes
"#### 18", ToRA ``\\boxed{}`` answers, Qwen2.5-Math GRPO rollouts ``<answer>…</answer>``; sources, commits and
licences in that module). It is not in the repository; the
benchmark reads it from ``--data PATH``, else from ``$GRPO_PLUS_ACCURACY_DATA``, else from the builder's default
output path, and turns into a note row saying how to build it when none exists.

Rows:

1. per answer style (and all styles together): agreement of our reward (defaults: ``answer_format="auto"``) with
   the audited labels, next to TRL's; precision, recall and false-positive rate (share of wrong completions scored
   1.0) of both in the notes, how many source labels the audit corrected, and the agreement with the unaudited
   source labels. Target: agreement ≥ 99.5 % and false positives ≤ 0.3 % for every style;
2. the wrong completions that a lenient rule would accept (the gold's value written elsewhere in the completion,
   or the final answer an unevaluated expression of it): false-positive rate of both;
3. throughput (TRL time / our time) on the same completions, boxed subset and all styles: the completions are
   shuffled (seed 0) and split into disjoint chunks, one per round, so that no cache carries over; interleaved
   rounds (TRL, ours, …) after a discarded warm-up chunk; median and min-max of the per-round ratios. Target ≥ 1×.

Quick mode (smoke run): at most 60 completions per style and 2 rounds of 16 boxed completions.

Run ``python -m benchmarks.bench_accuracy_labels [--quick] [--data PATH]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks.accuracy_data import DEFAULT_OUT, STYLES  # noqa: E402
from benchmarks.bench_rewards import interleaved_rounds  # noqa: E402
from benchmarks.common import make_row, note_row, paired_ratios  # noqa: E402

logger = logging.getLogger(__name__)

ENV_VAR = "GRPO_PLUS_ACCURACY_DATA"
AGREEMENT_TARGET = 99.5
FP_TARGET = 0.3
HOW_TO_BUILD = (
    "labelled data not found: build it with `python -m benchmarks.accuracy_data --raw DIR --out FILE` from the "
    "public source files listed in benchmarks/accuracy_data.py (they are not in the repository), then pass "
    f"`--data FILE` or set {ENV_VAR}=FILE"
)


def data_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """The labelled file to read: ``explicit``, else ``$GRPO_PLUS_ACCURACY_DATA``, else the builder's default
    output; None when that file does not exist."""
    for candidate in (explicit, os.environ.get(ENV_VAR), DEFAULT_OUT):
        if candidate:
            path = Path(candidate)
            return path if path.is_file() else None
    return None


def load_records(path: Path, styles: Sequence[str]) -> list[dict]:
    """The labelled records of a JSONL file; raises ValueError naming the line of a record that lacks a field or
    has a style outside ``styles``."""
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for k, record in enumerate(records):
        missing = {"id", "style", "completion", "solution", "label", "label_audited", "traps"} - set(record)
        if missing:
            raise ValueError(f"{path}, line {k + 1}: record lacks the fields {sorted(missing)}")
        if record["style"] not in styles:
            raise ValueError(f"{path}, line {k + 1}: style {record['style']!r} is not one of {list(styles)}")
    return records


def load(path: Path) -> list[dict]:
    return load_records(path, STYLES)


def confusion(labels: Sequence[bool], scores: Sequence[float | None]) -> dict[str, float]:
    """Counts and rates of ``scores`` (1.0 = graded correct; 0.0 or None = not) against ``labels``: ``tp fp tn fn``,
    ``agreement`` (% of completions on which both agree), ``precision`` and ``recall`` (%, of the label
    "correct"), ``fp_rate`` (% of wrong completions scored 1.0). A rate with an empty denominator is NaN."""
    tp = sum(1 for y, s in zip(labels, scores) if y and s == 1.0)
    fp = sum(1 for y, s in zip(labels, scores) if not y and s == 1.0)
    fn = sum(1 for y, s in zip(labels, scores) if y and s != 1.0)
    tn = len(labels) - tp - fp - fn

    def pct(num: int, den: int) -> float:
        return 100.0 * num / den if den else float("nan")

    return {
        "n": len(labels),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "agreement": pct(tp + tn, len(labels)),
        "precision": pct(tp, tp + fp),
        "recall": pct(tp, tp + fn),
        "fp_rate": pct(fp, fp + tn),
    }


def _fmt(value: float) -> str:
    return "—" if value != value else f"{value:.2f}"


def _conversational(records: Sequence[dict]) -> list:
    return [[{"role": "assistant", "content": r["completion"]}] for r in records]


def score(reward, records: Sequence[dict]) -> list[float | None]:
    """``reward``'s scores of the records, each record's ``prompt`` (None without one) passed as the trainer passes
    prompts: a prompt ending with ``<think>`` opens the thinking block the completion must close."""
    prompts = [record.get("prompt") for record in records]
    return list(reward(_conversational(records), solution=[r["solution"] for r in records], prompts=prompts))


NOT_GRADED = "not graded"
"""A TRL score left out: TRL graded a sample only (:func:`quality_rows` then compares on that sample)."""


def _graded(scores: Sequence) -> list[int]:
    return [k for k, s in enumerate(scores) if not isinstance(s, str)]


def _quality_row(
    name: str,
    records: Sequence[dict],
    ours: Sequence,
    trl: Sequence,
    agreement_target: float = AGREEMENT_TARGET,
    fp_target: float = FP_TARGET,
    title: str = "accuracy labels",
) -> dict:
    labels = [bool(r["label_audited"]) for r in records]
    graded = _graded(trl)
    o = confusion(labels, ours)
    corrected = sum(1 for r in records if r["label_audited"] != r["label"])
    right = sum(labels)
    head = f"{right} right / {len(records) - right} wrong (audited labels; {corrected} source labels corrected); "
    if len(graded) < len(records):
        # TRL graded a sample: its figures, and ours on the same completions, come from that sample
        sample_labels = [labels[k] for k in graded]
        t = confusion(sample_labels, [trl[k] for k in graded])
        same = confusion(sample_labels, [ours[k] for k in graded])
        raw_o = confusion([bool(r["label"]) for r in records], ours)
        reference = (
            f"trl.rewards.accuracy_reward on a stratified sample of {len(graded)}: {_fmt(t['agreement'])} % "
            f"agreement, {_fmt(t['fp_rate'])} % FP (ours on the same sample: {_fmt(same['agreement'])} %, "
            f"{_fmt(same['fp_rate'])} % FP)"
        )
        notes = (
            head + f"ours on all {len(records)}: precision {_fmt(o['precision'])} %, recall {_fmt(o['recall'])} %, "
            f"FP rate {_fmt(o['fp_rate'])} % ({o['fp']}), missed right answers {o['fn']}; on TRL's sample of "
            f"{len(graded)}, ours vs TRL: precision {_fmt(same['precision'])} / {_fmt(t['precision'])} %, recall "
            f"{_fmt(same['recall'])} / {_fmt(t['recall'])} %, FP rate {_fmt(same['fp_rate'])} / {_fmt(t['fp_rate'])} % "
            f"({same['fp']} / {t['fp']}); ours against the unaudited source labels: agreement "
            f"{_fmt(raw_o['agreement'])} %, FP rate {_fmt(raw_o['fp_rate'])} %"
        )
    else:
        t = confusion(labels, trl)
        raw_o, raw_t = (confusion([bool(r["label"]) for r in records], s) for s in (ours, trl))
        reference = f"trl.rewards.accuracy_reward: {_fmt(t['agreement'])} % agreement, {_fmt(t['fp_rate'])} % FP"
        notes = (
            head + f"ours vs TRL: precision {_fmt(o['precision'])} / {_fmt(t['precision'])} %, recall "
            f"{_fmt(o['recall'])} / {_fmt(t['recall'])} %, FP rate {_fmt(o['fp_rate'])} / {_fmt(t['fp_rate'])} % "
            f"({o['fp']} / {t['fp']}), missed right answers {o['fn']} / {t['fn']}; against the unaudited source "
            f"labels: agreement {_fmt(raw_o['agreement'])} / {_fmt(raw_t['agreement'])} %, FP rate "
            f"{_fmt(raw_o['fp_rate'])} / {_fmt(raw_t['fp_rate'])} %"
        )
    return make_row(
        f"{title}: {name} (n={len(records)})",
        reference,
        [o["agreement"]],
        "% agreement",
        f"≥ {agreement_target} %, FP ≤ {fp_target} %",
        o["agreement"] >= agreement_target and not o["fp_rate"] > fp_target,
        notes,
    )


def _trap_row(
    records: Sequence[dict], ours: Sequence, trl: Sequence, fp_target: float = FP_TARGET, title: str = "accuracy labels"
) -> dict:
    picked = [k for k, r in enumerate(records) if r["traps"]]
    if not picked:
        return note_row(f"{title}: wrong answers a lenient rule accepts", "none in the data")
    kinds = {kind: sum(1 for k in picked if kind in records[k]["traps"]) for kind in ("gold_elsewhere", "expression")}
    o = confusion([False] * len(picked), [ours[k] for k in picked])
    trl_picked = [trl[k] for k in picked if not isinstance(trl[k], str)]
    t = confusion([False] * len(trl_picked), trl_picked)
    return make_row(
        f"{title}: wrong answers a lenient rule accepts (n={len(picked)})",
        f"trl.rewards.accuracy_reward: {_fmt(t['fp_rate'])} % FP ({t['fp']})"
        + (f" on the {len(trl_picked)} in its sample" if len(trl_picked) < len(picked) else ""),
        [o["fp_rate"]],
        "% FP",
        f"≤ {fp_target} %",
        o["fp_rate"] <= fp_target,
        f"wrong completions in which the gold's value is written elsewhere ({kinds['gold_elsewhere']}: an "
        f"intermediate result, one of several candidates) or whose final answer is an unevaluated expression of it "
        f"({kinds['expression']}); ours scored {o['fp']} of them 1.0",
    )


def _throughput_row(
    name: str, records: Sequence[dict], rounds: int, ours, trl, title: str = "accuracy labels"
) -> dict:
    shuffled = list(records)
    random.Random(0).shuffle(shuffled)
    size = len(shuffled) // (rounds + 1)
    if size < 1:
        return note_row(
            f"{title} throughput: {name}",
            f"not measured: {len(records)} completions cannot fill {rounds + 1} rounds",
            reference="trl.rewards.accuracy_reward",
        )
    chunks = (shuffled[r * size : (r + 1) * size] for r in range(rounds + 1))
    batches = ((_conversational(chunk), [c["solution"] for c in chunk]) for chunk in chunks)
    kept = interleaved_rounds(name, batches, trl, ours)
    trl_times, our_times, trl_cpu, our_cpu = (kept[k] for k in ("trl_times", "our_times", "trl_cpu", "our_cpu"))
    ratios = paired_ratios(trl_times, our_times)
    median = statistics.median
    return make_row(
        f"{title} throughput: {name}, {size} completions per round",
        f"trl.rewards.accuracy_reward, main thread: {median(trl_times):.2f} s / {size}",
        ratios,
        "× throughput",
        "≥ 1×",
        median(ratios) >= 1.0,
        f"{rounds} interleaved rounds after 1 warm-up, a disjoint chunk of the labelled completions each round; "
        f"ours {min(our_times):.2f}–{max(our_times):.2f} s on {ours.pool.size} workers; CPU s per round (median): "
        f"TRL {median(trl_cpu):.2f}, ours {median(our_cpu):.2f} (trainer process + workers)",
    )


def _subsample(records: Sequence[dict], per_style: int) -> list[dict]:
    rng = random.Random(0)
    picked = []
    for style in STYLES:
        group = [r for r in records if r["style"] == style]
        picked.extend(rng.sample(group, min(per_style, len(group))))
    return picked


def quality_rows(
    records: Sequence[dict],
    ours: Sequence,
    trl: Sequence,
    groups: Sequence[str],
    key=lambda record: record["style"],
    agreement_target: float = AGREEMENT_TARGET,
    fp_target: float = FP_TARGET,
    title: str = "accuracy labels",
    overall: bool = True,
) -> list[dict]:
    """Quality rows of both graders' scores (``ours`` / ``trl``, aligned with ``records``): one per group of
    ``groups`` that has records (``key(record)`` names a record's group, by default its style), then, when
    ``overall``, the row of all records together and the row of the wrong answers a lenient rule accepts."""
    targets = {"agreement_target": agreement_target, "fp_target": fp_target, "title": title}
    rows = []
    for group in groups:
        picked = [k for k, r in enumerate(records) if key(r) == group]
        if picked:
            rows.append(
                _quality_row(
                    group, [records[k] for k in picked], [ours[k] for k in picked], [trl[k] for k in picked], **targets
                )
            )
    if overall:
        rows.append(_quality_row("all styles", records, ours, trl, **targets))
        rows.append(_trap_row(records, ours, trl, fp_target=fp_target, title=title))
    return rows


def bench_main(
    description: str, run, module: str, env_var: str, default_out: Path, flags: Sequence[tuple[str, str]] = ()
) -> None:
    """The command line of a labelled benchmark: ``--quick``, ``--data`` and the boolean ``flags`` (``(name,
    help)``), then the table of ``run(quick=, data=, **flags)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a subsample and 2 small rounds: a smoke run")
    parser.add_argument("--data", help=f"labelled JSONL (default: ${env_var}, else {default_out})")
    for flag, text in flags:
        parser.add_argument(f"--{flag}", action="store_true", help=text)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    rows = run(quick=args.quick, data=args.data, **{flag: getattr(args, flag) for flag, _ in flags})
    from benchmarks.run import emit_table

    switches = [f" --{name}" for name, on in [("quick", args.quick)] + [(f, getattr(args, f)) for f, _ in flags] if on]
    emit_table(rows, f"python -m {module}" + "".join(switches))


def run(quick: bool = False, data: str | os.PathLike | None = None) -> list[dict]:
    """Table rows (see the module docstring); a note row when the labelled data is absent."""
    path = data_path(data)
    if path is None:
        logger.warning("bench_accuracy_labels: %s", HOW_TO_BUILD)
        return [note_row("accuracy labels (real model completions)", f"skipped: {HOW_TO_BUILD}")]
    from trl.rewards import accuracy_reward

    from rewards import get_reward

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    records = load(path)
    if quick:
        records = _subsample(records, 60)
    logger.info("bench_accuracy_labels: %d labelled completions from %s", len(records), path)
    ours = get_reward("accuracy")
    ours.pool.warm_up()
    our_scores = score(ours, records)
    trl_scores = score(accuracy_reward, records)
    rows = quality_rows(records, our_scores, trl_scores, STYLES)
    boxed = [r for r in records if r["style"] in ("boxed", "multi_box")]
    if quick:
        rows.append(_throughput_row("boxed", boxed[:48], 2, ours, accuracy_reward))
    else:
        rows.append(_throughput_row("boxed", boxed, 3, ours, accuracy_reward))
        rows.append(_throughput_row("all styles", records, 3, ours, accuracy_reward))
    return rows


def main() -> None:
    bench_main(__doc__.splitlines()[0], run, "benchmarks.bench_accuracy_labels", ENV_VAR, DEFAULT_OUT)


if __name__ == "__main__":
    main()
