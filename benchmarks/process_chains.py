"""Where process supervision should win: long chains with rare successes (pre-registered experiment).

    python -m benchmarks.run --only process_chains        # the experiment (about 2 hours on 2 idle cores)
    python -m benchmarks.process_chains [--runs_dir D]     # the same, standalone (runs kept in D, reused)

PROTOCOL (pre-registered; written and committed before any run of the experiment)
----------------------------------------------------------------------------------
Question. On 6-step chains where a whole-chain success is rare, does process-mode GRPO with a step reward that judges
each step given the steps before it (``chain_steps``) learn faster than the strongest outcome baselines: outcome GRPO,
outcome GRPO with dynamic sampling, and partial credit (the fraction of right steps as one more outcome reward: the
same information without localisation)? Which credit form (``sum``, DeepSeekMath §4.1.3, arXiv 2402.03300; ``min``,
PURE, arXiv 2504.15275) should be the default? Does the gain shrink where successes are not rare? What does a
gameable step reward do to each credit form?

Task. ``demo_task: chains`` (:mod:`grpo_plus.demo.chains`): chains of 6 dependent operations (+, -, *; operands
1-9; values 0-50), one step per line. Warm starts (cached, the same checkpoint for every run of a regime): a
496k-parameter Qwen2 fitted for 2,000 steps to a teacher that misreads each step's operand (b + 1) independently with
its operation's rate and computes exactly from what it wrote; it also restates the value just computed (``14=14``)
before 2 % of the lines. Regimes: **sparse** (rates +, -, * = 0.4, 0.4, 0.75; the main experiment) and **moderate**
(0.12, 0.12, 0.4; ``--demo_task chains_moderate``; replaced by amendment 2, below). Held-out set:
``chains.eval_chains()``, 256 distinct chains from seed 20000, excluded from every training set.

Arms (``grpo-plus train --config FILE <flags> --seed S --output_dir D``; ``cli`` in the results JSON):
- outcome: configs/demo_chains_outcome.yaml (accuracy + format);
- outcome-ds: the same with ``--dynamic_sampling true`` (max_resample_rounds 3, the config's default);
- partial: the same with ``--reward_funcs accuracy,format,chain_step_fraction`` (equal weights);
- process-sum / process-min: configs/demo_chains_process.yaml (chain_steps beside accuracy + format, weights 1, 1, 1)
  with ``--process_credit sum`` / ``min``.
The two configs differ only in the reward fields (a test checks it). Shared: 100 optimizer steps, 64 completions per
step (8 prompts x 8), lr constant, AdamW, loss_type "dapo", beta 0, temperature 1, max_completion_length 72,
step_separator "\\n", float32, one torch thread per run.

Learning rates. Tuned per family (outcome, used by outcome and outcome-ds; partial; process-sum; process-min) on
seed 100, used for nothing else, over {1e-4, 3e-4}: the rate with the higher ``eval_sampled_auc`` (ties: the
smaller). The moderate regime and the gameable follow-up use the sparse regime's rates. 8 tuning runs.

Seeds and budget. Sparse: seeds 0-4 for outcome, process-sum and process-min; 0-2 for outcome-ds and partial (21
runs). Moderate: outcome, process-sum, process-min, seeds 0-2 (9 runs). At most 2 runs at a time. Order: tuning,
sparse seeds 0-2, the gameable follow-up, moderate seed 0, moderate seeds 1-2, sparse seeds 3-4 (amended, see below).
No run is dropped, repeated or extended; a run not done when the session's time runs out is reported as not run.

Amendment (committed while the first 2 of the 8 tuning runs were running, before any tuning or main result was
read): a run takes about 2.3 minutes of the machine (2 at a time), so the 46 runs need about 105 minutes and the
session had about 80 left. Only the order changed, so that the runs done answer the main question first: tuning;
sparse seeds 0-2 of all arms; the gameable follow-up (seeds 0-1); moderate seed 0, then seeds 1-2; sparse seeds 3-4.
With fewer than 5 seeds of an arm, rule 3's "at >= 4 of 5 seeds" becomes "at every seed run", rule 2 uses the seeds
both arms have, and the report says which rule ran at less than its planned power.

Deviation (after the results of sparse seeds 0-2, moderate seeds 0-1 and the gameable follow-up were read): with the
session's last half hour, sparse seeds 3-4 of outcome, process-sum and process-min (the issue's minimum of 5 seeds for
the main comparison) were run before moderate seed 2, against the amended order. Nothing else changed.

Amendment 2 (2026-12-04, committed before any run of the new moderate regime). The moderate regime above started at
0.147 held-out sampled accuracy (0.785 greedy), below the issue's 0.20-0.30. Its rates (0.12, 0.12, 0.4) are kept
as the **middle** regime (``--demo_task chains_middle``, the same warm-start config; its seeds 0-1, run as
``moderate-*``, are recorded as ``middle-*`` in the results JSON with the task renamed in their ``cli``). Pilots 4-5
(student at step 0 only, no training; the teacher simulated on the held-out chains): rates (0.08, 0.08, 0.3): teacher
0.396, student 0.348 sampled / 0.988 greedy (above the range); (0.1, 0.1, 0.35): teacher 0.334, student 0.208 sampled
/ 0.852 greedy. The **moderate** regime is now (0.1, 0.1, 0.35) (``--demo_task chains_moderate``): outcome,
process-sum and process-min, seeds 0-2, learning rate 1e-4 (the sparse regime's, as planned), the same evaluation;
rule 5 is read on it (the middle regime's gain is reported beside it). Then middle seed 2 (its planned third seed).
Order: moderate seed by seed, then middle seed 2. A run's figures are taken from its folder, else from the results
JSON's record (the folders of the earlier runs are gone). Also found before these runs: the held-out KL to the warm
start was 0 in every earlier run (the evaluation's reference copy ran the policy's weights through TRL's patched
forward; fixed and tested), so the recorded runs' ``eval_kl_to_reference_after`` is null; no decision rule used it.

Evaluation (``grpo_plus.demo.chains_run``). The 256 held-out chains at steps 0, 25, 50, 75, 100: greedy, and 8
samples per chain at temperature 1 from a fixed evaluation seed (the training RNG state restored after), graded by
``accuracy``. Primary metric: ``eval_sampled_auc``, the mean held-out sampled accuracy over the evaluations after
step 0, compared paired (same seed). Also: sampled and greedy accuracy after, pass@8, steps per completion and tokens
per step (greedy completions), per-position slip rates and "right answer, wrong line" counts (sampled completions).

Decision rules (sparse regime, fixed in advance).
1. Healthy: an arm's mean steps per completion after is within 10 % of its mean before.
2. Recommended credit: process-sum vs process-min on ``eval_sampled_auc``: the higher if they differ by at least 2
   standard errors of the difference of means (Welch over seeds 0-4), else "min" (PURE's argument: it is bounded by
   the worst step); an unhealthy arm cannot be recommended.
3. Process beats outcome: the recommended arm's paired AUC gain over outcome is ≥ 0.05 and positive at ≥ 4 of 5
   seeds. The goal of issue 21: gain ≥ 0.10, ahead of outcome-ds and of partial, steps per completion within 10 %.
4. Ahead of outcome-ds / partial: the paired AUC gain (seeds 0-2) is ≥ 2 paired standard errors (std / sqrt(n)).
5. Moderate regime: the gain shrinks if the recommended arm's mean paired AUC gain there is below the sparse one.
6. The ``process_credit`` default (added after sparse seeds 0-2 were read, before any gameable result was): the
   recommended credit of rule 2 becomes the default, unless it farms or collapses in the gameable follow-up while
   the other form does not; then the other form stays the default and the docs recommend the winner of rule 2 for
   exact rule-based step rewards only.

Gameable follow-up (PURE's collapse at toy scale). ``chain_steps`` with ``flip_rate 0.2`` (a fifth of the grades
flipped, fixed per completion) and ``reward_restatements true`` (a line restating a known value scores 1, a false
positive the teacher's restatements make reachable): process-sum and process-min, each with the outcome rewards
(``chain_steps, accuracy, format``) and without (``chain_steps`` alone), seeds 0-1, sparse regime (8 runs). Farming
is declared when an arm's mean restatement lines per completion after training (sampled held-out completions) is at
least 1 more than before; collapse when its held-out sampled accuracy after is below its start. Reported: steps per
completion, tokens per step, the trainer's step guards (``steps/*`` means over training, warnings in the log) and
held-out accuracy. If an arm farms and no guard shows it, the guards are fixed (a finding, reported as such).

Pilots (before this protocol was frozen; none of their runs is part of the results).
1. The sparse rates are the issue's pilot's. A simulation of the teacher on the held-out chains gives whole-chain
   accuracy 0.067; the warm-started student: 0.061 sampled, 0.066 greedy at step 0 (target 0.03-0.08).
2. Moderate at the issue's rates (0.2, 0.2, 0.5): teacher 0.166, student 0.152 sampled / 0.402 greedy at step 0,
   below the target 0.20-0.30; the rates were lowered to (0.12, 0.12, 0.4) (teacher 0.278; student measured at step
   0 of the runs, reported with the results).
3. One outcome run of the sparse regime (seed 999, lr 1e-4, this evaluation): held-out sampled accuracy 0.061, 0.119,
   0.472, 0.716, 0.738 at steps 0, 25, 50, 75, 100 (greedy 0.066 -> 0.867), steps per completion 6.00 throughout.
   Outcome GRPO is not stuck here (with 8 samples per prompt about 40 % of the groups hold a success at the start),
   so the gain, if any, is expected in learning speed (the AUC) rather than in the end point. CPU per run: 96 s of
   training (0.96 s per step) and 133 s of evaluation on one thread (the evaluation's entropy/KL pass was then cut
   to the first draw per prompt); 578 s wall under a load average of 5-6.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.common import REPO_ROOT, machine_line, make_row, note_row
from benchmarks.experiment import (
    Arm,
    by_arm,
    done,
    experiment_parser,
    fmt,
    mean_std,
    paired,
    per_seed,
    plot_curves,
    recorded,
    run_jobs,
    run_or_recall,
    seed_major,
    start_logging,
    steps_within,
    welch_se,
)

logger = logging.getLogger(__name__)

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
RESULTS_JSON = RESULTS_DIR / "process_chains.json"
RESULTS_MD = RESULTS_DIR / "process_chains.md"
RESULTS_PNG = RESULTS_DIR / "process_chains.png"
RESULTS_REGIMES_PNG = RESULTS_DIR / "process_chains_regimes.png"
RUNS_DIR = REPO_ROOT / "outputs" / "process_chains"  # every run's output_dir (git-ignored)
PARALLEL = 2
TUNING_SEED = 100
LEARNING_RATES = (1e-4, 3e-4)
GOAL = 0.10
BEATS = 0.05
HEALTHY = 0.10
OUTCOME_CONFIG = "configs/demo_chains_outcome.yaml"
PROCESS_CONFIG = "configs/demo_chains_process.yaml"
MAIN_SEEDS, SHORT_SEEDS, GAME_SEEDS = (0, 1, 2, 3, 4), (0, 1, 2), (0, 1)
GAMEABLE = '{"chain_steps": {"flip_rate": 0.2, "reward_restatements": true}}'
QUICK_FLAGS = ("--max_steps", "2", "--per_device_train_batch_size", "16", "--num_generations", "4")

# arm name -> (family, config, flags)
SPARSE_ARMS = {
    "outcome": ("outcome", OUTCOME_CONFIG, ()),
    "outcome-ds": ("outcome", OUTCOME_CONFIG, ("--dynamic_sampling", "true")),
    "partial": ("partial", OUTCOME_CONFIG, ("--reward_funcs", "accuracy,format,chain_step_fraction")),
    "process-sum": ("process-sum", PROCESS_CONFIG, ("--process_credit", "sum")),
    "process-min": ("process-min", PROCESS_CONFIG, ("--process_credit", "min")),
}
FAMILIES = ("outcome", "partial", "process-sum", "process-min")
SEEDS = {"outcome": MAIN_SEEDS, "outcome-ds": SHORT_SEEDS, "partial": SHORT_SEEDS, "process-sum": MAIN_SEEDS,
         "process-min": MAIN_SEEDS}
REGIME_ARMS = ("outcome", "process-sum", "process-min")  # the arms of the moderate and middle regimes
REGIMES = {"sparse": "chains", "moderate": "chains_moderate", "middle": "chains_middle"}  # regime -> demo_task
GAME_ARMS = {
    "gamed-sum+outcome": ("process-sum", ("--process_credit", "sum", "--reward_kwargs", GAMEABLE)),
    "gamed-min+outcome": ("process-min", ("--process_credit", "min", "--reward_kwargs", GAMEABLE)),
    "gamed-sum": ("process-sum", ("--process_credit", "sum", "--reward_funcs", "chain_steps", "--reward_kwargs",
                                  GAMEABLE)),
    "gamed-min": ("process-min", ("--process_credit", "min", "--reward_funcs", "chain_steps", "--reward_kwargs",
                                  GAMEABLE)),
}


def _lr(rate: float) -> tuple[str, ...]:
    return ("--learning_rate", f"{rate:g}")


def tuning_arms() -> list[Arm]:
    """One arm per family and learning rate, on the tuning seed."""
    arms = []
    for family in FAMILIES:
        _, config, flags = SPARSE_ARMS["outcome" if family == "outcome" else family]
        for rate in LEARNING_RATES:
            arms.append(Arm(f"tune-{family}-lr{rate:g}", config, (*flags, *_lr(rate)), (TUNING_SEED,)))
    return arms


def pick_rates(results: Sequence[dict]) -> dict[str, float]:
    """Per family, the learning rate with the higher ``eval_sampled_auc`` on the tuning seed (ties: the smaller)."""
    rates = {}
    for family in FAMILIES:
        scores = {}
        for rate in LEARNING_RATES:
            rows = [r for r in results if r["arm"] == f"tune-{family}-lr{rate:g}"]
            if rows:
                scores[rate] = rows[0]["eval_sampled_auc"]
        if scores:
            rates[family] = max(sorted(scores), key=lambda rate: (scores[rate], -rate))
    return rates


def main_arms(rates: dict[str, float]) -> tuple[list[Arm], list[Arm], list[Arm], list[Arm]]:
    """(sparse, moderate, gameable, middle) arms with each family's tuned learning rate."""
    sparse = [
        Arm(name, config, (*flags, *_lr(rates[family])), SEEDS[name])
        for name, (family, config, flags) in SPARSE_ARMS.items()
    ]
    moderate, middle = (
        [Arm(f"{regime}-{a.name}", a.config, ("--demo_task", REGIMES[regime], *a.flags), SHORT_SEEDS)
         for a in sparse if a.name in REGIME_ARMS]
        for regime in ("moderate", "middle")
    )
    gameable = [
        Arm(name, PROCESS_CONFIG, (*flags, *_lr(rates[family])), GAME_SEEDS)
        for name, (family, flags) in GAME_ARMS.items()
    ]
    return sparse, moderate, gameable, middle


def schedule(sparse: Sequence[Arm], moderate: Sequence[Arm], gameable: Sequence[Arm],
             middle: Sequence[Arm]) -> list[tuple[Arm, int]]:
    """The pre-registered order (amendments 1 and 2): sparse seeds 0-2, gameable, middle seeds 0-1 (run as
    "moderate" before amendment 2), sparse seeds 3-4, then the moderate regime seed by seed, then middle seed 2."""
    first = [(a, s) for a, s in seed_major(sparse) if s in SHORT_SEEDS]
    last = [(a, s) for a, s in seed_major(sparse) if s not in SHORT_SEEDS]
    middle_jobs = seed_major(middle)
    return (first + seed_major(gameable) + [j for j in middle_jobs if j[1] < 2] + last + seed_major(moderate)
            + [j for j in middle_jobs if j[1] >= 2])


def regime(arm_name: str) -> str:
    """The regime of an arm: its name's prefix (``moderate-``, ``middle-``), else sparse (the gameable arms too)."""
    prefix = arm_name.split("-", 1)[0]
    return prefix if prefix in REGIMES and prefix != "sparse" else "sparse"


def prepare_warm_start(config) -> None:
    """Build a regime's warm start before its runs start in parallel (they then load the cached copy)."""
    from grpo_plus.demo.warmstart import ensure_warm_start

    ensure_warm_start(config, num_threads=1)


def phases(jobs: Sequence[tuple[Arm, int]]) -> list[list[tuple[Arm, int]]]:
    """Consecutive jobs of one regime together (a phase starts once its regime's warm start exists)."""
    out: list[list[tuple[Arm, int]]] = []
    for job in jobs:
        if out and regime(out[-1][0][0].name) == regime(job[0].name):
            out[-1].append(job)
        else:
            out.append([job])
    return out


# ---------------------------------------------------------------------------------------------------- analysis
def healthy(rows: Sequence[dict]) -> bool:
    """Rule 2 (healthy): mean steps per completion at the end within ``HEALTHY`` of the mean at the start."""
    return steps_within(rows, HEALTHY)


def decide(grouped: dict[str, list[dict]]) -> dict[str, Any]:
    """The pre-registered decision rules 1-4 on the sparse regime's results."""
    out: dict[str, Any] = {}
    key = "eval_sampled_auc"
    sums, mins = grouped.get("process-sum", []), grouped.get("process-min", [])
    if len(sums) > 1 and len(mins) > 1:
        a, b = [r[key] for r in sums], [r[key] for r in mins]
        diff, se = statistics.fmean(a) - statistics.fmean(b), welch_se(a, b)
        winner = ("sum" if diff > 0 else "min") if abs(diff) >= 2 * se and diff != 0 else None
        candidates = [c for c in ("sum", "min") if healthy(grouped[f"process-{c}"])]
        choice = winner if winner in candidates else ("min" if "min" in candidates else (candidates or [None])[0])
        out["sum_minus_min"] = {"diff": round(diff, 4), "two_se": round(2 * se, 4)}
        out["healthy"] = {c: healthy(grouped[f"process-{c}"]) for c in ("sum", "min")}
        out["process_credit"] = choice
        out["reason"] = (f"sum - min = {diff:+.3f} AUC, 2 SE = {2 * se:.3f}: "
                         + (f"process-{winner} ahead" if winner else "a tie, the tie-break (min)")
                         + ("" if winner == choice or winner is None else f"; process-{winner} is not healthy"))
    choice = out.get("process_credit")
    rec = grouped.get(f"process-{choice}") if choice else None
    if rec and "outcome" in grouped:
        gains = paired(rec, grouped["outcome"], key)
        mean_gain = statistics.fmean(gains)
        out["gain_over_outcome"] = {"mean": round(mean_gain, 4), "per_seed": [round(g, 4) for g in gains],
                                    "positive_seeds": sum(g > 0 for g in gains)}
        needed = 4 if len(gains) >= 5 else len(gains)
        out["beats_outcome"] = mean_gain >= BEATS and sum(g > 0 for g in gains) >= needed
        out["seeds_for_rule_3"] = len(gains)
        for baseline in ("outcome-ds", "partial"):
            if baseline in grouped:
                g = paired(rec, grouped[baseline], key)
                m, s = mean_std(g)
                se = s / len(g) ** 0.5 if len(g) > 1 else float("inf")
                out[f"ahead_of_{baseline}"] = {"mean": round(m, 4), "two_paired_se": round(2 * se, 4),
                                               "ahead": m >= 2 * se and m > 0}
        out["goal_met"] = bool(
            mean_gain >= GOAL and healthy(rec)
            and all(out.get(f"ahead_of_{b}", {}).get("ahead", False) for b in ("outcome-ds", "partial"))
        )
    return out


def table(grouped: dict[str, list[dict]], baseline: str | None) -> str:
    """Markdown: sampled AUC (mean ± std, per seed), paired gain over ``baseline``, sampled / greedy accuracy and
    pass@8 before → after, steps per completion and tokens per step before → after, wall and CPU time per step."""
    lines = [
        "| arm | sampled AUC (mean ± std) | per seed | paired gain over outcome | sampled acc. start → end "
        "| greedy acc. start → end | pass@8 end | steps/completion start → end | tokens/step start → end "
        "| CPU s/step |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = grouped.get(baseline) if baseline else None
    for arm, rows in grouped.items():
        gain = "—"
        if base is not None and arm != baseline:
            g = paired(rows, base, "eval_sampled_auc")
            gain = fmt(*mean_std(g)) + f" ({sum(x > 0 for x in g)}/{len(g)} seeds > 0)" if g else "—"

        def span(key: str) -> str:
            return (f"{statistics.fmean(r[f'{key}_before'] for r in rows):.3f} → "
                    f"{fmt(*mean_std([r[f'{key}_after'] for r in rows]))}")

        lines.append("| " + " | ".join([
            arm, fmt(*mean_std([r["eval_sampled_auc"] for r in rows])), per_seed(rows, "eval_sampled_auc"), gain,
            span("eval_sampled_accuracy"), span("eval_accuracy"),
            fmt(*mean_std([r["eval_pass_at_8_after"] for r in rows])), span("steps_per_completion"),
            span("tokens_per_step"), f"{statistics.fmean(r['cpu_s_per_step'] for r in rows):.2f}",
        ]) + " |")
    return "\n".join(lines)


def slip_table(grouped: dict[str, list[dict]]) -> str:
    """Per-position slip rates of the sampled held-out completions, at the start and the end (mean over seeds)."""
    lines = ["| arm | slip rate by step 1–6, start | end | right answer, wrong line (of 2048), start → end |",
             "|---|---|---|---|"]
    for arm, rows in grouped.items():
        if "slip_rates_after" not in rows[0]:
            continue
        start = [statistics.fmean(r["slip_rates_before"][j] for r in rows) for j in range(6)]
        end = [statistics.fmean(r["slip_rates_after"][j] for r in rows) for j in range(6)]
        traces = (statistics.fmean(r["right_answer_wrong_line_before"] for r in rows),
                  statistics.fmean(r["right_answer_wrong_line_after"] for r in rows))
        lines.append(f"| {arm} | {' '.join(f'{x:.2f}' for x in start)} | {' '.join(f'{x:.2f}' for x in end)} "
                     f"| {traces[0]:.1f} → {traces[1]:.1f} |")
    return "\n".join(lines)


def game_table(grouped: dict[str, list[dict]]) -> str:
    """The gameable follow-up: restatements (farming), steps, guards, accuracy; farming / collapse flags."""
    lines = ["| arm | restatement lines per completion start → end | steps/completion start → end "
             "| tokens/step start → end | steps/tokens_per_step (train mean) | sampled acc. start → end | farms "
             "| collapses |", "|---|---|---|---|---|---|---|---|"]
    for arm, rows in grouped.items():
        before = statistics.fmean(r["restatements_before"] for r in rows)
        after = statistics.fmean(r["restatements_after"] for r in rows)
        acc_before = statistics.fmean(r["eval_sampled_accuracy_before"] for r in rows)
        acc_after = statistics.fmean(r["eval_sampled_accuracy_after"] for r in rows)
        guard = statistics.fmean(r["train_metrics"].get("steps/tokens_per_step", float("nan")) for r in rows)
        lines.append("| " + " | ".join([
            arm, f"{before:.2f} → {after:.2f}",
            f"{statistics.fmean(r['steps_per_completion_before'] for r in rows):.2f} → "
            f"{statistics.fmean(r['steps_per_completion_after'] for r in rows):.2f}",
            f"{statistics.fmean(r['tokens_per_step_before'] for r in rows):.2f} → "
            f"{statistics.fmean(r['tokens_per_step_after'] for r in rows):.2f}",
            f"{guard:.2f}", f"{acc_before:.3f} → {acc_after:.3f}",
            "yes" if after - before >= 1 else "no", "yes" if acc_after < acc_before else "no",
        ]) + " |")
    return "\n".join(lines)


def report(results: Sequence[dict], rates: dict[str, float], planned: int) -> tuple[str, dict[str, Any]]:
    sparse = by_arm([r for r in results if r["arm"] in SPARSE_ARMS], list(SPARSE_ARMS))
    moderate, middle = (by_arm([r for r in results if regime(r["arm"]) == name],
                               [f"{name}-{a}" for a in REGIME_ARMS]) for name in ("moderate", "middle"))
    game = by_arm([r for r in results if r["arm"] in GAME_ARMS], list(GAME_ARMS))
    decision = decide(sparse)
    for name, grouped in (("moderate", moderate), ("middle", middle)):
        rec = grouped.get(f"{name}-process-{decision.get('process_credit')}")
        if rec and f"{name}-outcome" in grouped and "gain_over_outcome" in decision:
            gains = paired(rec, grouped[f"{name}-outcome"], "eval_sampled_auc")
            decision[f"{name}_gain"] = round(statistics.fmean(gains), 4)
            decision[f"{name}_seeds"] = len(gains)
            decision[f"{name}_gain_shrinks"] = decision[f"{name}_gain"] < decision["gain_over_outcome"]["mean"]
    main_runs = [r for r in results if not r["arm"].startswith("tune-")]
    text = "\n".join([
        f"Machine: {machine_line()}",
        f"Learning rates (tuned on seed {TUNING_SEED} over {list(LEARNING_RATES)}): "
        + ", ".join(f"{k} {v:g}" for k, v in rates.items()),
        f"Runs done: {len(main_runs)} of {planned} planned (tuning runs not counted)",
        "", "Sparse regime", "", table(sparse, "outcome"), "", slip_table(sparse),
        "", "Moderate regime (amendment 2)", "", table(moderate, "moderate-outcome"),
        "", "Middle regime (the first moderate attempt, start below the target)", "", table(middle, "middle-outcome"),
        "", "Gameable step reward (sparse regime)", "", table(game, None), "", game_table(game),
        "", "Decision: " + json.dumps(decision),
    ])
    print(text, flush=True)  # noqa: T201  (the experiment's table goes to stdout)
    return text, decision


def results_json(results: Sequence[dict], arms: Sequence[Arm], rates: dict[str, float], decision: dict) -> dict:
    """``{"arms": {name: {"cli": [...], "seeds": {seed: figures}}}, "learning_rates": ..., "decision": ...}``."""
    keep = ("eval_sampled_auc", "eval_sampled_accuracy_before", "eval_sampled_accuracy_after", "eval_accuracy_before",
            "eval_accuracy_after", "eval_pass_at_8_after", "steps_per_completion_before", "steps_per_completion_after",
            "tokens_per_step_before", "tokens_per_step_after", "slip_rates_before", "slip_rates_after",
            "right_answer_wrong_line_before", "right_answer_wrong_line_after", "restatements_before",
            "restatements_after", "eval_entropy_after",
            "eval_kl_to_reference_after", "cpu_s_per_step", "wall_time_s", "train_metrics", "eval_curve")
    out: dict[str, Any] = {"learning_rates": rates, "decision": decision, "arms": {}}
    for arm in arms:
        rows = [r for r in results if r["arm"] == arm.name]
        out["arms"][arm.name] = {"cli": arm.cli, "seeds": {str(r["seed"]): {k: r[k] for k in keep if k in r}
                                                           for r in sorted(rows, key=lambda r: r["seed"])}}
    return out


def harness_rows(decision: dict[str, Any]) -> list[dict]:
    rows = []
    gain = decision.get("gain_over_outcome")
    if gain:
        rows.append(make_row(f"process_chains: process-{decision['process_credit']} AUC gain over outcome (paired)",
                             "outcome, same seeds", gain["per_seed"], "sampled accuracy", f"≥ +{GOAL:.2f}",
                             decision.get("goal_met", False), f"{gain['positive_seeds']} seeds > 0"))
    rows.append(note_row("process_chains: decision", json.dumps(decision)))
    return rows


def run(quick: bool = False, runs_dir: Path | None = None, reuse: bool = True, report_only: bool = False) -> list[dict]:
    """The experiment (``quick``: one run per arm, 2 steps, a temporary folder; a smoke test only; ``report_only``:
    the report of the runs already done, none started). A run is taken from its folder under ``runs_dir`` if it has
    one, else from the results JSON's record if its arm's ``cli`` is unchanged, else run (``reuse=False``: every run
    is run)."""
    start = time.perf_counter()
    if quick:
        with tempfile.TemporaryDirectory(prefix="process-chains-") as tmp:
            arms = [replace(a, seeds=(0,)) for a in main_arms({f: 1e-4 for f in FAMILIES})[0]]
            results = run_jobs(seed_major(arms), Path(tmp), PARALLEL, QUICK_FLAGS, reuse=False)
            _, decision = report(results, {}, len(results))
            return harness_rows(decision)
    from grpo_plus.demo import chains_run

    runs_dir = runs_dir if runs_dir is not None else RUNS_DIR
    if not reuse:
        tuning = run_jobs(seed_major(tuning_arms()), runs_dir, PARALLEL, reuse=False)
    else:
        tuning = run_or_recall(seed_major(tuning_arms()), runs_dir, recorded(RESULTS_JSON, tuning_arms()), PARALLEL,
                               report_only)
    rates = pick_rates(tuning)
    sparse, moderate, gameable, middle = main_arms(rates)
    all_arms = [*tuning_arms(), *sparse, *moderate, *gameable, *middle]
    record = recorded(RESULTS_JSON, all_arms) if reuse else {}
    jobs = schedule(sparse, moderate, gameable, middle)
    results = list(tuning)
    for phase in phases(jobs):
        on_disk = set(done(phase, runs_dir))
        pending = [job for job in phase if (job[0].name, job[1]) not in record and job not in on_disk]
        if pending and not report_only:
            prepare_warm_start(chains_run.TASKS[REGIMES[regime(phase[0][0].name)]].warm_start)
        results += (run_or_recall(phase, runs_dir, record, PARALLEL, report_only) if reuse
                    else run_jobs(phase, runs_dir, PARALLEL, reuse=False))
    text, decision = report(results, rates, len(jobs))
    RESULTS_MD.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_MD.write_text(text + "\n")
    RESULTS_JSON.write_text(json.dumps(results_json(results, all_arms, rates, decision), indent=1) + "\n")
    panels = (("eval_curve", "sampled_accuracy", "held-out sampled accuracy"),
              ("eval_curve", "steps_per_completion", "held-out steps per completion"),
              ("train_curve", "rewards/accuracy/mean", "training accuracy reward (sampled)"))
    sparse_rows = [r for r in results if r["arm"] in SPARSE_ARMS]
    if all("train_curve" in r for r in sparse_rows):  # runs recalled from the JSON have no training curve
        plot_curves(by_arm(sparse_rows, list(SPARSE_ARMS)), panels, RESULTS_PNG,
                    "sparse long chains: mean ± std over seeds")
    regimes_panels = (("eval_curve", "sampled_accuracy", "held-out sampled accuracy"),
                      ("eval_curve", "accuracy", "held-out greedy accuracy"))
    plot_curves(by_arm([r for r in results if regime(r["arm"]) != "sparse"],
                       [f"{name}-{a}" for name in ("moderate", "middle") for a in REGIME_ARMS]),
                regimes_panels, RESULTS_REGIMES_PNG, "moderate and middle regimes: mean ± std over seeds")
    logger.info("process_chains: %d runs in %.0f s", len(results), time.perf_counter() - start)
    return harness_rows(decision)


def main(argv: Sequence[str] | None = None) -> int:
    parser = experiment_parser(__doc__, "process_chains", "2 steps per arm: a smoke run, not the experiment")
    parser.add_argument("--report_only", action="store_true", help="report the runs already done; start none")
    args = parser.parse_args(argv)
    start_logging()
    run(quick=args.quick, runs_dir=args.runs_dir, reuse=not args.fresh, report_only=args.report_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
