"""Does process supervision help? Outcome vs process (sum and min credit) GRPO on the multi-step demo, over seeds.

    python -m benchmarks.run --only process_vs_outcome      # the experiment (10-20 min on 2 cores)
    python -m benchmarks.process_vs_outcome [--runs_dir D]  # the same, standalone (runs kept in D)

PROTOCOL (pre-registered; written and committed before any run of the experiment)
----------------------------------------------------------------------------------
Question. On the multi-step demo task, does process-mode GRPO (the rule-based step reward ``reference_steps`` beside
the outcome rewards) reach a higher held-out accuracy than outcome-mode GRPO at the same step budget, without the
policy dropping steps; and which ``process_credit`` ("sum", DeepSeekMath §4.1.3, arXiv 2402.03300; or "min", Cheng et
al. 2025, arXiv 2504.15275) should be the default?

Task. ``grpo_plus.demo.multistep``: chains of 2-4 dependent operations (+, -, *; operands 1-9; values 0-50), one step
per line. Warm start: ``MultiStepWarmStart()`` (cached; the same checkpoint for every run): a 496k-parameter Qwen2
fitted for 1,500 steps to a teacher that misreads the operand of an intermediate step (b + 1) with probability 0.6
(+, -) or 0.75 (*) and always computes exactly. Held-out set: ``eval_chains()``, 256 distinct problems from seed
10000, excluded from every training set.

Arms. Each run is ``grpo-plus train --config FILE --seed N --output_dir D`` (see ``run_command``):
- outcome: configs/demo_steps_outcome.yaml (reward_mode outcome; rewards accuracy, format);
- process-sum: configs/demo_steps_process.yaml --process_credit sum (reward_mode process; reference_steps, accuracy,
  format, reward_weights 1, 1, 1; the outcome rewards add their own outcome advantage to every token);
- process-min: configs/demo_steps_process.yaml --process_credit min.
The two configs differ only in the reward fields (a test checks it). Shared hyperparameters, as in the configs and
TRL 1.16's defaults: 100 optimizer steps; 64 completions per step (8 prompts x 8 generations); learning rate 1e-4,
constant; AdamW (betas 0.9/0.999, no weight decay), gradient clipping 1.0; loss_type "dapo", epsilon 0.2, one
iteration per batch; scale_rewards "group"; beta 0 (no KL term); temperature 1.0; max_completion_length 48;
step_separator "\n"; float32 on the CPU, one torch thread per run.

Seeds and budget. Seeds 0, 1, 2, 3, 4 for every arm (the seed sets the order of the training prompts and the
sampling; the warm start and the held-out set are the same for all runs): 15 runs of 100 steps, at most 2 at a time.
No run is dropped, repeated or extended; a run that fails is reported as failed.

Evaluation. Greedy decoding (at most 48 new tokens) of the 256 held-out prompts at step 0 and every 10 steps, graded
by the registry's ``accuracy``; on the same completions, steps per completion (the trainer's split at "\n") and
tokens per step. Primary metric: held-out accuracy after the last step, mean over the 5 seeds of an arm (reported
with its std, the per-seed values and the paired difference to outcome at the same seed). Secondary metric: the mean
held-out accuracy over the 10 evaluations after step 0 (learning speed: area under the curve).

Decision rule for the ``process_credit`` default. A process arm is healthy if its mean steps per completion at the end
is at least 0.9 x its mean at the start (no separator avoidance). The default is the healthy process arm with the
higher primary metric when sum and min differ by at least 2 standard errors of the difference of their means
(Welch: sqrt(s_sum²/5 + s_min²/5)); otherwise the same test on the secondary metric decides; a tie on both gives "min"
(PURE's evidence; it is bounded by the worst step). If only one arm is healthy, it is the default; if neither is, the
evidence gives no default. The goal of issue 12 is met when the chosen arm's primary metric is at least 0.05 above
outcome's (means over seeds) and its mean steps per completion at the end is no more than 0.05 below its start.

Pilots (before this protocol was frozen; none of their runs is part of the results). They fixed the task, not the
hyperparameters (those are the one-step demo's: learning rate 1e-4, 64 completions, temperature 1, beta 0):
1. A teacher that wrote wrong results (result + 1) at intermediate steps, values up to 99, rates 0.3/0.3/0.6
   (+, -, *): outcome and process-min with learning rate 3e-4 both fell from 0.39 to about 0.10 held-out accuracy in
   100 steps; with 1e-4 and 3e-5 (outcome only, 60 steps) 0.39 -> 0.40 and 0.45: the tiny model could not compute
   two-digit results reliably (its final steps, never slipped by the teacher, were right 47-64 % of the time).
2. Values up to 50, same teacher: arithmetic right, but outcome and process-min both reached 0.94 within 20 steps
   (the greedy answer flips as soon as the right value is more likely than the slip): no room to compare.
3. Values up to 50, result slips at rates 0.6/0.6/0.75: the model's arithmetic degraded again (final steps right
   40-71 %); outcome 0.12 -> 0.36, process-min 0.12 -> 0.40 after 100 steps, one seed each.
4. The task as frozen (operand misreads, exact arithmetic): outcome 0.12 -> 0.89 and process-min 0.12 -> 0.91 after
   100 steps, seed 0, both near their plateau from step 60-80 on (wall time about 50 s each, 2 in parallel, idle
   machine; 157 s under a load average of 4-5). This is why the secondary metric (learning speed) is pre-registered.
   Process-sum was not piloted beyond the 4-step smoke run of ``--quick``.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import REPO_ROOT, machine_line, make_row, note_row
from benchmarks import experiment
from benchmarks.experiment import (  # noqa: F401  (run_command, run_one: this module's API too)
    Arm,
    done,
    fmt,
    mean_std,
    run_command,
    run_jobs,
    run_one,
)

logger = logging.getLogger(__name__)

CONFIGS = REPO_ROOT / "configs"
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
RESULTS_JSON = RESULTS_DIR / "process_vs_outcome.json"
RESULTS_MD = RESULTS_DIR / "process_vs_outcome.md"
RESULTS_PNG = RESULTS_DIR / "process_vs_outcome.png"
RUNS_DIR = REPO_ROOT / "outputs" / "process_vs_outcome"  # every run's output_dir (git-ignored)
SEEDS = (0, 1, 2, 3, 4)
PARALLEL = 2
GOAL = 0.05  # process mode must beat outcome mode by this much (mean held-out accuracy)
HEALTHY_STEPS = 0.9  # a healthy arm keeps >= this fraction of its steps per completion (mean over seeds)
NO_FALL = 0.05  # "no fall in steps per completion": the mean at the end >= the mean at the start minus this


ARMS = (
    Arm("outcome", str(CONFIGS / "demo_steps_outcome.yaml")),
    Arm("process-sum", str(CONFIGS / "demo_steps_process.yaml"), ("--process_credit", "sum")),
    Arm("process-min", str(CONFIGS / "demo_steps_process.yaml"), ("--process_credit", "min")),
)
QUICK_FLAGS = ("--max_steps", "4", "--per_device_train_batch_size", "16")


# ---------------------------------------------------------------------------------------------------- running
def prepare_warm_start() -> str:
    """Build the multi-step warm start once, before runs start in parallel (they then all load the cached copy)."""
    from grpo_plus.demo.multistep_run import TASK
    from grpo_plus.demo.warmstart import ensure_warm_start

    return ensure_warm_start(TASK.warm_start, num_threads=1)


def run_all(
    runs_dir: Path, seeds: Sequence[int] = SEEDS, extra: Sequence[str] = (), reuse: bool = True
) -> list[dict[str, Any]]:
    """Every arm x seed, at most :data:`PARALLEL` at a time, seed-major (both arms of a seed run side by side)."""
    jobs = [(arm, seed) for seed in seeds for arm in ARMS]
    if not (reuse and len(done(jobs, runs_dir)) == len(jobs)):
        prepare_warm_start()
    return run_jobs(jobs, runs_dir, PARALLEL, extra, reuse)


# ---------------------------------------------------------------------------------------------------- analysis
def by_arm(results: Sequence[dict]) -> dict[str, list[dict]]:
    """Results grouped by arm (in :data:`ARMS` order), each list sorted by seed."""
    return experiment.by_arm(results, [a.name for a in ARMS])


def _steps_before_after(rows: Sequence[dict]) -> tuple[float, float]:
    return (
        statistics.fmean(r["steps_per_completion_before"] for r in rows),
        statistics.fmean(r["steps_per_completion_after"] for r in rows),
    )


def healthy(rows: Sequence[dict]) -> bool:
    """No separator avoidance: mean steps per completion at the end >= HEALTHY_STEPS x the mean at the start."""
    before, after = _steps_before_after(rows)
    return after >= HEALTHY_STEPS * before


def no_fall(rows: Sequence[dict]) -> bool:
    """The goal's guard: mean steps per completion at the end >= the mean at the start minus NO_FALL."""
    before, after = _steps_before_after(rows)
    return after >= before - NO_FALL


def decide(results: Sequence[dict]) -> dict[str, Any]:
    """The pre-registered decision rule (see the protocol): the recommended process_credit and whether the goal is met.

    Among the healthy process arms, the one with the higher mean held-out accuracy after training; if the two
    differ by less than twice the standard error of the difference of their means (Welch), the same comparison on
    the secondary metric (mean held-out accuracy over the evaluations after step 0); if that is a tie too, "min".
    The goal is met when the chosen arm's mean exceeds outcome's by at least GOAL with no fall in steps per completion.
    """
    grouped = by_arm(results)
    acc = {arm: [r["eval_accuracy_after"] for r in rows] for arm, rows in grouped.items()}
    candidates = [c for c in ("sum", "min") if f"process-{c}" in grouped and healthy(grouped[f"process-{c}"])]
    reason = ""
    if not candidates:
        choice, reason = None, "no process arm is healthy: no default can be chosen from this evidence"
    elif len(candidates) == 1:
        choice = candidates[0]
        reason = f"only process-{choice} is healthy"
    else:
        choice = None
        notes = []
        for metric, values in (
            ("held-out accuracy after", acc),
            ("mean held-out accuracy over the curve", {a: [curve_mean(r) for r in g] for a, g in grouped.items()}),
        ):
            winner, diff, se = _welch_winner(values["process-sum"], values["process-min"])
            notes.append(f"{metric}: sum - min = {diff:+.3f}, 2 SE = {2 * se:.3f}")
            if winner is not None:
                choice = winner
                break
        reason = "; ".join(notes)
        if choice is None:
            choice = "min"
            reason += ": a tie on both, the tie-break (min)"
        else:
            reason += f": process-{choice} ahead"
    out: dict[str, Any] = {"process_credit": choice, "reason": reason}
    if choice is not None and "outcome" in acc:
        gain = statistics.fmean(acc[f"process-{choice}"]) - statistics.fmean(acc["outcome"])
        out["gain_over_outcome"] = gain
        out["goal_met"] = gain >= GOAL and no_fall(grouped[f"process-{choice}"])
    return out


def curve_mean(run: dict) -> float:
    """The secondary metric: mean held-out accuracy over the run's evaluations after step 0 (area under the curve)."""
    points = [p["accuracy"] for p in run["eval_curve"] if p["step"] > 0]
    return statistics.fmean(points) if points else float("nan")


def _welch_winner(sums: Sequence[float], mins: Sequence[float]) -> tuple[str | None, float, float]:
    """("sum" | "min" | None for a tie, mean difference sum - min, its standard error sqrt(s1²/n1 + s2²/n2))."""
    (m_sum, s_sum), (m_min, s_min) = mean_std(sums), mean_std(mins)
    se = math.sqrt(s_sum**2 / len(sums) + s_min**2 / len(mins))
    diff = m_sum - m_min
    if diff != 0 and abs(diff) >= 2 * se:
        return ("sum" if diff > 0 else "min"), diff, se
    return None, diff, se


def results_table(results: Sequence[dict]) -> str:
    """The markdown table: held-out accuracy before/after (mean ± std, per seed), the paired gain over outcome (same
    seed), the secondary metric (:func:`curve_mean`), steps per completion and tokens per step at the start and the
    end, wall time per run."""
    grouped = by_arm(results)
    outcome = {r["seed"]: r["eval_accuracy_after"] for r in grouped.get("outcome", [])}
    lines = [
        "| arm | held-out accuracy before | after (mean ± std) | after, per seed | paired gain over outcome "
        "| mean over the curve | steps/completion start → end | tokens/step start → end | wall time per run (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for arm, rows in grouped.items():
        after = [r["eval_accuracy_after"] for r in rows]
        seeds = ", ".join(f"{r['seed']}: {r['eval_accuracy_after']:.3f}" for r in rows)
        paired = [r["eval_accuracy_after"] - outcome[r["seed"]] for r in rows if r["seed"] in outcome]
        gain = "—" if arm == "outcome" or not paired else fmt(*mean_std(paired))
        cells = [
            arm,
            fmt(*mean_std([r["eval_accuracy_before"] for r in rows])),
            fmt(*mean_std(after)),
            seeds,
            gain,
            fmt(*mean_std([curve_mean(r) for r in rows])),
            f"{fmt(*mean_std([r['steps_per_completion_before'] for r in rows]))} → "
            f"{fmt(*mean_std([r['steps_per_completion_after'] for r in rows]))}",
            f"{fmt(*mean_std([r['tokens_per_step_before'] for r in rows]))} → "
            f"{fmt(*mean_std([r['tokens_per_step_after'] for r in rows]))}",
            f"{statistics.fmean(r['wall_time_s'] for r in rows):.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def decision_text(decision: dict[str, Any]) -> str:
    if decision["process_credit"] is None:
        return f"Decision: {decision['reason']}."
    text = f"Decision: process_credit = {decision['process_credit']!r} ({decision['reason']})"
    if "gain_over_outcome" in decision:
        met = "met" if decision["goal_met"] else "NOT met"
        text += f"; its gain over outcome is {decision['gain_over_outcome']:+.3f} (goal ≥ +{GOAL:.2f}: {met})"
    return text + "."


# ---------------------------------------------------------------------------------------------------- figure
PANELS = (
    ("eval_curve", "accuracy", "held-out accuracy (greedy)"),
    ("eval_curve", "steps_per_completion", "held-out steps per completion (from 0: a fall would show)"),
    ("train_curve", "rewards/accuracy/mean", "training accuracy reward (sampled, 10-step mean)", 10),
)


def plot_curves(results: Sequence[dict], path: Path, title: str = "") -> Path:
    """Mean learning curves per arm with a ± std band over seeds: held-out accuracy (greedy), held-out steps per
    completion, and the sampled training accuracy reward (moving average over 10 steps)."""
    return experiment.plot_curves(by_arm(results), PANELS, path, title)


# ---------------------------------------------------------------------------------------------------- harness
def harness_rows(results: Sequence[dict], decision: dict[str, Any]) -> list[dict]:
    """Rows for ``benchmarks.run``'s table: held-out accuracy after training per arm (median, min–max over seeds)."""
    rows = []
    grouped = by_arm(results)
    outcome = grouped.get("outcome")
    for arm, runs in grouped.items():
        after = [r["eval_accuracy_after"] for r in runs]
        mean, std = mean_std(after)
        notes = f"mean {mean:.3f} ± {std:.3f} over {len(runs)} seeds"
        if arm == "outcome" or outcome is None:
            rows.append(make_row(f"process_vs_outcome: {arm}, held-out accuracy after", "same arm before training",
                                 after, "accuracy", "—", True, notes))
            continue
        gain = mean - statistics.fmean(r["eval_accuracy_after"] for r in outcome)
        met = gain >= GOAL and no_fall(runs)
        notes += f"; gain over outcome {gain:+.3f}; {'no fall' if no_fall(runs) else 'a fall'} in steps per completion"
        rows.append(make_row(f"process_vs_outcome: {arm}, held-out accuracy after", "outcome arm, same seeds",
                             after, "accuracy", f"≥ outcome + {GOAL:.2f}", met, notes))
    rows.append(note_row("process_vs_outcome: decision", decision_text(decision)))
    return rows


def report(results: Sequence[dict], quick: bool, png: Path) -> str:
    decision = decide(results)
    steps = sorted({r["steps"] for r in results})
    loads = [v for r in results for v in r.get("load_average_1min", [])]
    load = f"{min(loads):.1f}–{max(loads):.1f}" if loads else "not recorded (reused runs)"
    shown = png.relative_to(REPO_ROOT) if png.is_relative_to(REPO_ROOT) else png
    text = "\n".join(
        [
            f"Machine: {machine_line()}; 1-minute load average at the start and end of the runs: {load}",
            f"Process vs outcome on the multi-step demo: {len(by_arm(results))} arms x "
            f"{len({r['seed'] for r in results})} seeds, {steps} optimizer steps per run"
            + (" (QUICK smoke run: not the experiment)" if quick else ""),
            "",
            results_table(results),
            "",
            decision_text(decision),
            f"Learning curves: {shown}",
        ]
    )
    print(text, flush=True)  # noqa: T201  (the benchmark's table goes to stdout)
    return text


def run(quick: bool = False, runs_dir: Path | None = None, reuse: bool = True) -> list[dict]:
    """The experiment (``quick``: one seed, a few steps, results in a temporary folder; a smoke test only)."""
    start = time.perf_counter()
    if quick:
        with tempfile.TemporaryDirectory(prefix="process-vs-outcome-") as tmp:
            results = run_all(Path(tmp), seeds=SEEDS[:1], extra=QUICK_FLAGS, reuse=False)
            png = plot_curves(results, Path(tmp) / "curves.png")
            report(results, quick, png)
            return harness_rows(results, decide(results))
    runs_dir = runs_dir if runs_dir is not None else RUNS_DIR
    results = run_all(runs_dir, reuse=reuse)
    png = plot_curves(results, RESULTS_PNG, "multi-step demo: mean ± std over seeds")
    text = report(results, quick, png)
    RESULTS_MD.write_text(text + "\n")
    slim = [{k: v for k, v in r.items() if k not in ("warm_start", "curves", "output_dir")} for r in results]
    RESULTS_JSON.write_text("[\n" + ",\n".join(json.dumps(r, separators=(",", ":")) for r in slim) + "\n]\n")
    logger.info("process_vs_outcome: %d runs in %.0f s; results in %s", len(results), time.perf_counter() - start,
                RESULTS_DIR)
    return harness_rows(results, decide(results))


def main(argv: Sequence[str] | None = None) -> int:
    parser = experiment.experiment_parser(__doc__, "process_vs_outcome", "one seed, 4 steps: a smoke run, not the experiment")
    args = parser.parse_args(argv)
    experiment.start_logging()
    run(quick=args.quick, runs_dir=args.runs_dir, reuse=not args.fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
