"""What each training-health and KL knob does to learning on sparse long chains (pre-registered experiment).

    python -m benchmarks.run --only training_health        # the experiment (45 runs, about 105 min on 2 idle cores)
    python -m benchmarks.training_health [--runs_dir D]     # the same, standalone (runs kept in D, reused)
    python -m benchmarks.training_health --quick            # smoke run: 1 seed, 2 steps, tiny batch, temporary folder

PROTOCOL (pre-registered; written and committed before any run of the experiment; issue 19)
-------------------------------------------------------------------------------------------
Question. On the sparse long-chain task, where most groups of outcome GRPO are all-wrong, what does each
training-health and KL knob of grpo_plus and TRL 1.16 do to held-out learning, entropy, KL to the start and cost, each
switched on alone at a value taken from its paper / TRL / verl, against plain outcome GRPO? Does any of them earn a
change of default?

Task. ``demo_task: chains`` (:mod:`grpo_plus.demo.chains`, sparse regime: operand slips at rates +, -, * = 0.4, 0.4,
0.75 at every step; the cached 496k-parameter Qwen2 warm start), configs/demo_chains_outcome.yaml: accuracy + format
rewards, 100 optimizer steps, 64 completions per step (8 prompts x 8), learning rate 1e-4 constant (the config's; not
tuned per arm: the knobs are compared at the shipped recipe), loss_type "dapo" (TRL's default), beta 0, temperature 1,
max_completion_length 72, float32, one torch thread per run. Held-out set: ``chains.eval_chains()``, 256 chains never
trained on.

Arms (``grpo-plus train <cli> --seed S --output_dir D``; each arm's ``cli`` is in the results JSON). Each arm is the
baseline plus the flags listed, nothing else:
- ``baseline``: configs/demo_chains_outcome.yaml as shipped (outcome GRPO, beta 0).
- ``dynamic_sampling``: ``--dynamic_sampling true --max_resample_rounds 3`` (DAPO, arXiv 2503.14476, §3.2; 3 extra
  rounds is grpo_plus's default). It generates more per step: judged also per generated completion (below).
- ``clip_cov``: ``--entropy_control clip_cov --clip_cov_ratio 0.0002 --clip_cov_bounds 1.0 5.0`` (Cui et al. 2025,
  arXiv 2505.22617: r = 2e-4, band (1, 5), the paper's recipe and verl's defaults). At about 3,200 completion tokens
  per step this drops the gradient of max(1, floor(0.64)) = 1 token per step (3e-4 of the tokens, the paper's
  fraction); a null result would say the paper's setting does nothing at this scale.
- ``kl_cov``: ``--entropy_control kl_cov --kl_cov_ratio 0.002 --kl_cov_coef 1.0 --num_iterations 2`` (the paper's
  7B recipe: k = 2e-3, coefficient 1, as the recipes pass ``ppo_kl_coef=1``; verl's config defaults, 2e-4 / 0.1,
  are not what the paper ran). KL-Cov's penalty |log pi - log pi_old| is 0 on-policy, so it needs num_iterations 2
  (each generation batch trains 2 optimizer steps: 50 generation batches in the 100 steps, half the baseline's
  completions); hence the control arm below.
- ``baseline_mu2``: ``--num_iterations 2`` alone: the control that separates KL-Cov from the batch reuse it needs.
- ``entropy_bonus``: ``--entropy_coef 0.001``: TRL 1.16's entropy bonus (``GRPOConfig.entropy_coef``: minus the
  coefficient times the mean per-token entropy added to the loss, whatever the loss type; GRPOPlusConfig inherits it
  and accepts it when entropy_control is None). 0.001 is the actor ``entropy_coeff`` of verl's early ppo_trainer.yaml
  (as in its forks such as TinyZero, and many GRPO recipes built on it; verl 0.8's default is 0); TRL gives no
  value; Cui et al. 2025 report the bonus to be very sensitive to its coefficient, so one value is a probe, not a
  tuning.
- ``k3_loss``: ``--beta 0.04 --kl_estimator k3``: TRL's choice, k3 in the loss (with TRL's use_bias_correction_kl,
  default True). beta 0.04 is GRPO's (DeepSeekMath, arXiv 2402.03300, §4.2) and TRL's former default; TRL now
  defaults to 0 and cites 0.001 (DeepSeek-R1), which over 100 steps of a 496k-parameter model is not distinguishable
  from 0. Every KL arm uses the same beta, so estimator and placement are the only differences among them.
- ``k1_reward``: ``--beta 0.04 --kl_estimator k1 --kl_in_reward true``: k1 in the reward, r - beta * sum_t k1_t
  before normalisation ("A Comedy of Estimators", Shah et al. 2025, arXiv 2512.21852: the configuration with an
  unbiased gradient of the KL-regularised objective, on-policy). The sum over ~50 tokens makes the same beta a
  stronger sequence-level penalty than the loss's token mean: inherent in the placement, reported, not adjusted.
- ``k3plus_loss``: ``--beta 0.04 --kl_estimator k3+``: the value of k3, the gradient of k2 (straight-through; Tang &
  Munos 2025, arXiv 2506.09477), in the loss.
- ``adaptive_kl``: ``--beta 0.04 --kl_estimator k3 --kl_target 0.1 --kl_horizon 640``: k3_loss with the adaptive
  controller (Ziegler et al. 2019, arXiv 1909.08593, §2.2) starting at beta 0.04. kl_target 0.1 is verl's
  ``target_kl`` default. Horizon 640: K_beta = n / horizon = 64 / 640 = 0.1 per update, the value Ziegler et al.
  write; the usual 10000 would move beta by at most x(1 + 0.2 * 0.0064) per step, x1.14 over 100 steps: the same
  run as k3_loss.
- ``process``: configs/demo_chains_process.yaml as shipped (chain_steps beside accuracy + format): the recommended
  process arm, cheap here (a rule-based step reward), for scale. (Amendment 1 below: its credit is sum.)
Every arm's ``cli`` is parsed into a valid GRPOPlusConfig by the tests (grpo_plus.cli's parser).

Seeds and budget. Seeds 0, 1, 2 for every arm (33 runs), seed-major order (every arm has seed 0 before any has
seed 1), at most 2 runs at a time, the same 100 optimizer steps and the same evaluation for all. No run is dropped,
repeated or extended; a run not done when the session's time runs out is reported as not run.

Evaluation (``grpo_plus.demo.chains_run``, the same as process_chains). The 256 held-out chains at steps 0, 25, 50,
75, 100: greedy, and 8 samples per chain at temperature 1 from a fixed evaluation seed (the training RNG restored
after), graded by ``accuracy``. Per arm and seed, from the run's demo_summary.json: ``eval_sampled_auc`` (mean held-out
sampled accuracy over the evaluations after step 0: the primary metric), sampled accuracy at the end, pass@8 at the
end (unbiased pass@k, Chen et al. 2021, with k = n = 8: a chain counts if any of its 8 draws is right), policy
entropy per token (start, end; first draw per chain), k3 KL to the warm start per token (end), completion length in
tokens (start, end), steps per completion (start, end), training CPU seconds per optimizer step (evaluation
excluded), and completions generated = optimizer steps x 64 x mean ``dynamic_sampling/rounds`` / num_iterations
(rounds = 1 without dynamic sampling), with the fair count for an arm that generates more or less than the baseline:
held-out sampled-accuracy gain (end - start) per 10,000 generated completions. Curves: held-out sampled accuracy,
entropy and KL to the start over steps (mean +- std over seeds).

Decision rules (fixed in advance). Comparisons are paired (same seed) on ``eval_sampled_auc``; d_s = arm - comparator
at seed s, paired standard error = std(d) / sqrt(n).
1. Verdict of an arm against a comparator: "helps" if mean(d) >= 2 paired SE, d_s > 0 at every seed (3 of 3), and the
   mean paired pass@8 difference at the end is >= -0.03 (no loss of pass@8 beyond 0.03, about one binomial standard
   error of a 256-chain pass rate near 0.5); "hurts" if mean(d) <= -2 paired SE and d_s < 0 at every seed; else "no
   detectable effect".
2. Healthy: the arm's mean steps per completion at the end is within 10 % of its mean at the start (6 lines per
   chain). An unhealthy arm changes no default.
3. Comparators: every arm against ``baseline``; ``kl_cov`` also against ``baseline_mu2``; ``k1_reward``,
   ``k3plus_loss`` and ``adaptive_kl`` also against ``k3_loss`` (same beta).
4. Defaults (grpo_plus's own fields): ``dynamic_sampling`` becomes true only if the arm helps against baseline, is
   healthy, and its sampled-accuracy gain per 10,000 generated completions (mean over seeds) is at least the
   baseline's; if it helps per step but not per completion, the docs recommend it only where generation is cheap
   relative to training. ``entropy_control`` becomes "clip_cov" or "kl_cov" only if that arm helps against baseline
   (and, for kl_cov, against baseline_mu2) and is healthy; if both qualify, the one with the larger mean paired gain
   over baseline. ``kl_estimator`` becomes "k3+" only if k3plus_loss helps against k3_loss. With KL on, the docs
   recommend ``kl_in_reward`` with k1 if k1_reward helps against k3_loss, and the adaptive controller (with these
   kl_target / kl_horizon) if adaptive_kl helps against k3_loss. TRL's fields (beta, entropy_coef, num_iterations)
   keep TRL's defaults; the docs recommend beta 0.04 if a KL arm helps against baseline, and the entropy bonus if
   entropy_bonus helps against baseline. No other outcome changes a default.
5. Reported whatever the verdicts: each arm's entropy start -> end and KL to the start at the end next to baseline's
   (what the knob does to exploration and drift), and CPU seconds per step (what it costs).

AMENDMENT 1 (2026-12-04, committed before any run of this experiment). When this protocol was written the process
config used process_credit min; issue 21's process_chains result (its rule 6) made sum the default and the config's
credit before any run here. The ``process`` arm stays "the config as shipped", so it runs with sum. Time: the 33 runs
take about 75 minutes with 2 at a time (measured runs of the same task in process_chains), not 2-3 hours.

DEVIATION 1 (found while the runs were under way, before any report was made). The held-out KL to the warm start was 0
at every evaluation of every run: the evaluation's reference copy ran the policy's weights through TRL's patched
forward (fixed in grpo_plus.demo.evaluation.frozen_copy, with a test against a hand-computed k3). The KL at the end is
re-measured from each run's saved final weights (``with_end_kl``: the same chains, samples and seed, checked to give
the run's own sampled accuracy and entropy); the KL curve over steps is lost, so the figure shows sampled accuracy and
entropy only. No decision rule used the KL.

AMENDMENT 2 (2026-12-04; written and committed after the 33 runs' results, before any run of its arms: exploratory,
a follow-up, not part of the pre-registered decision). ``k1_reward`` did not learn (AUC 0.062 against baseline's 0.593).
Hypothesis H: the cause is ``scale_rewards="group"``: in an all-wrong group (60-75 % of the groups here) the reward
spread is only -beta * sum_t k1_t, and dividing by that group's tiny std turns KL noise into unit-size advantages.
Two arms, seeds 0, 1, 2, everything else as above:
- ``baseline_batch``: ``--scale_rewards batch`` (the control: batch scaling alone);
- ``k1_reward_batch``: ``--beta 0.04 --kl_estimator k1 --kl_in_reward true --scale_rewards batch`` (k1_reward's
  flags plus batch scaling: an all-wrong group's KL spread is divided by the batch's std, dominated by the
  correctness spread, so its advantages stay small).
Comparators: ``baseline_batch`` against ``baseline``; ``k1_reward_batch`` against ``baseline_batch`` and ``k1_reward``.
Rule A (fixed before the runs): H is "supported" if k1_reward_batch learns like its control: its paired AUC
difference against baseline_batch is > -0.1 at every seed (k1_reward's against baseline was about -0.53); "refuted" if
k1_reward_batch's AUC is within 0.1 of k1_reward's at every seed (it does not learn either); else "inconclusive".
If supported, GRPOPlusConfig warns when ``kl_in_reward`` is combined with group scaling, and the docs recommend batch
scaling with KL in the reward; no default changes (the rule-4 defaults are from the 33 pre-registered runs only).

AMENDMENT 3 (2026-12-04; written and committed after amendment 2's results, before any run of its arm: exploratory).
Amendment 2 found batch scaling slightly slower than group scaling here. To complete the reward-scaling choices on one
table, ``baseline_none``: ``--scale_rewards none`` (advantages r - group mean, no division: Dr. GRPO, Liu et al. 2025,
arXiv 2503.20783, who argue the std division biases learning toward too easy and too hard questions), seeds 0, 1, 2,
against ``baseline`` by rule 1. It changes no default (TRL's ``scale_rewards`` default stays); the docs report it.

AMENDMENT 4 (2026-12-04; written and committed after amendment 3's results, before any run of its arm: exploratory).
The config's help recommends batch *or no* scaling with KL in the reward; only batch was run. ``k1_reward_none``:
``--beta 0.04 --kl_estimator k1 --kl_in_reward true --scale_rewards none``, seeds 0, 1, 2, against ``baseline_none``
and ``k1_reward``. Rule B (fixed before the run): "learns" if its paired AUC difference against baseline_none is
> -0.1 at every seed (rule A's margin); if it does not, the help and the warning drop "none".
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.common import REPO_ROOT, machine_line, make_row, note_row
from benchmarks.experiment import (
    Arm,
    by_arm,
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
)

logger = logging.getLogger(__name__)

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
RESULTS_JSON = RESULTS_DIR / "training_health.json"
RESULTS_MD = RESULTS_DIR / "training_health.md"
RESULTS_PNG = RESULTS_DIR / "training_health.png"
RUNS_DIR = REPO_ROOT / "outputs" / "training_health"  # every run's output_dir (git-ignored)
PARALLEL = 2
SEEDS = (0, 1, 2)
OUTCOME_CONFIG = "configs/demo_chains_outcome.yaml"
PROCESS_CONFIG = "configs/demo_chains_process.yaml"
COMPLETIONS_PER_STEP = 64  # per_device_train_batch_size of both configs (8 prompts x 8 generations)
QUICK_COMPLETIONS_PER_STEP = 16
QUICK_FLAGS = ("--max_steps", "2", "--per_device_train_batch_size", str(QUICK_COMPLETIONS_PER_STEP),
               "--num_generations", "4")
PRIMARY = "eval_sampled_auc"
PASS_AT_8 = "eval_pass_at_8_after"
PASS_AT_8_TOLERANCE = 0.03  # rule 1: no loss of pass@8 beyond this
HEALTHY = 0.10  # rule 2
PER_COMPLETIONS = 10_000
END_EVALUATION = "end_evaluation.json"  # a run's re-measured last evaluation (with_end_kl), kept in its folder

BETA = "0.04"
ARMS: dict[str, tuple[str, tuple[str, ...]]] = {  # name -> (config, flags); the protocol's list, in its order
    "baseline": (OUTCOME_CONFIG, ()),
    "dynamic_sampling": (OUTCOME_CONFIG, ("--dynamic_sampling", "true", "--max_resample_rounds", "3")),
    "clip_cov": (OUTCOME_CONFIG, ("--entropy_control", "clip_cov", "--clip_cov_ratio", "0.0002",
                                  "--clip_cov_bounds", "1.0", "5.0")),
    "kl_cov": (OUTCOME_CONFIG, ("--entropy_control", "kl_cov", "--kl_cov_ratio", "0.002", "--kl_cov_coef", "1.0",
                                "--num_iterations", "2")),
    "baseline_mu2": (OUTCOME_CONFIG, ("--num_iterations", "2")),
    "entropy_bonus": (OUTCOME_CONFIG, ("--entropy_coef", "0.001")),
    "k3_loss": (OUTCOME_CONFIG, ("--beta", BETA, "--kl_estimator", "k3")),
    "k1_reward": (OUTCOME_CONFIG, ("--beta", BETA, "--kl_estimator", "k1", "--kl_in_reward", "true")),
    "k3plus_loss": (OUTCOME_CONFIG, ("--beta", BETA, "--kl_estimator", "k3+")),
    "adaptive_kl": (OUTCOME_CONFIG, ("--beta", BETA, "--kl_estimator", "k3", "--kl_target", "0.1",
                                     "--kl_horizon", "640")),
    "process": (PROCESS_CONFIG, ()),
    # amendment 2 (exploratory)
    "baseline_batch": (OUTCOME_CONFIG, ("--scale_rewards", "batch")),
    "k1_reward_batch": (OUTCOME_CONFIG, ("--beta", BETA, "--kl_estimator", "k1", "--kl_in_reward", "true",
                                         "--scale_rewards", "batch")),
    "baseline_none": (OUTCOME_CONFIG, ("--scale_rewards", "none")),  # amendment 3 (exploratory)
    "k1_reward_none": (OUTCOME_CONFIG, ("--beta", BETA, "--kl_estimator", "k1", "--kl_in_reward", "true",
                                        "--scale_rewards", "none")),  # amendment 4 (exploratory)
}
# rule 3: the comparators of each arm
COMPARATORS: dict[str, tuple[str, ...]] = {
    name: ("baseline",) for name in ARMS if name != "baseline"
} | {"kl_cov": ("baseline", "baseline_mu2"), "k1_reward": ("baseline", "k3_loss"),
     "k3plus_loss": ("baseline", "k3_loss"), "adaptive_kl": ("baseline", "k3_loss"),
     "k1_reward_batch": ("baseline_batch", "k1_reward"), "k1_reward_none": ("baseline_none", "k1_reward")}
AMENDMENT_2_MARGIN = 0.1  # rules A and B
KL_ARMS = ("k3_loss", "k1_reward", "k3plus_loss", "adaptive_kl")
KEEP = ("eval_sampled_auc", "eval_sampled_accuracy_before", "eval_sampled_accuracy_after", "eval_accuracy_before",
        "eval_accuracy_after", "eval_pass_at_8_after", "eval_entropy_before", "eval_entropy_after",
        "eval_kl_to_reference_after", "eval_completion_length_before", "eval_completion_length_after",
        "steps_per_completion_before", "steps_per_completion_after", "steps", "train_cpu_s", "cpu_s_per_step",
        "completions_generated", "gain_per_10k_completions", "wall_time_s", "train_metrics", "eval_curve")


def arms(seeds: Sequence[int] = SEEDS, names: Sequence[str] | None = None) -> list[Arm]:
    """The protocol's arms (all, or those in ``names``, in the protocol's order) with ``seeds``."""
    unknown = sorted(set(names or ()) - set(ARMS))
    if unknown:
        raise ValueError(f"unknown training_health arms {unknown}; valid: {list(ARMS)}")
    return [Arm(name, config, flags, tuple(seeds)) for name, (config, flags) in ARMS.items()
            if names is None or name in names]


def flag_value(flags: Sequence[str], flag: str, default: str) -> str:
    """The value after ``flag`` in a flat argument list (the last occurrence wins, as in argparse), else ``default``."""
    value = default
    for i, item in enumerate(flags[:-1]):
        if item == flag:
            value = flags[i + 1]
    return value


# ---------------------------------------------------------------------------------------------------- metrics
def completions_generated(steps: int, per_step: int, rounds: float = 1.0, num_iterations: int = 1) -> float:
    """Completions a run generated: ``steps · per_step · rounds / num_iterations``.

    ``per_step`` completions per generation round (per_device_train_batch_size on one process), ``rounds`` the mean
    generation rounds per generation batch (dynamic sampling's logged ``dynamic_sampling/rounds``; 1 without it),
    ``num_iterations`` TRL's μ (each generation batch trains μ optimizer steps, so μ > 1 generates less per step).
    """
    if steps < 0 or per_step <= 0 or rounds < 1 or num_iterations < 1:
        raise ValueError(f"completions_generated needs steps >= 0, per_step > 0, rounds >= 1, num_iterations >= 1; "
                         f"got {steps}, {per_step}, {rounds}, {num_iterations}")
    return steps * per_step * rounds / num_iterations


def gain_per_completions(before: float, after: float, completions: float, per: int = PER_COMPLETIONS) -> float:
    """Held-out accuracy gain per ``per`` generated completions: ``(after - before) · per / completions``: the fair
    comparison of an arm that generates more (dynamic sampling) or less (num_iterations > 1) than the baseline."""
    if completions <= 0:
        raise ValueError(f"gain_per_completions needs completions > 0, got {completions}")
    return (after - before) * per / completions


def paired_se(diffs: Sequence[float]) -> float:
    """Standard error of the mean of paired differences: ``stdev(d) / sqrt(n)`` (inf with fewer than 2)."""
    return statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else math.inf


def verdict(auc_diffs: Sequence[float], pass_diffs: Sequence[float]) -> str:
    """Rule 1 on paired differences (arm - comparator, one per seed): "helps", "hurts" or "no detectable effect".

    helps: mean(d) ≥ 2·SE, every d > 0, mean pass@8 difference ≥ -PASS_AT_8_TOLERANCE; hurts: mean(d) ≤ -2·SE, every
    d < 0; SE = stdev(d)/sqrt(n).
    """
    if len(auc_diffs) < 2:
        return "no detectable effect"
    mean, se = statistics.fmean(auc_diffs), paired_se(auc_diffs)
    pass_ok = not pass_diffs or statistics.fmean(pass_diffs) >= -PASS_AT_8_TOLERANCE
    if mean > 0 and mean >= 2 * se and all(d > 0 for d in auc_diffs) and pass_ok:
        return "helps"
    if mean < 0 and mean <= -2 * se and all(d < 0 for d in auc_diffs):
        return "hurts"
    return "no detectable effect"


def healthy(rows: Sequence[dict]) -> bool:
    """Rule 2 (healthy): mean steps per completion at the end within ``HEALTHY`` of the mean at the start."""
    return steps_within(rows, HEALTHY)


def check_run(row: Mapping[str, Any], num_samples: int = 8, tolerance: float = 1e-3) -> None:
    """Raise if a run's summary disagrees with its own held-out curve (a summary reused from another evaluation).

    ``eval_sampled_auc`` must be :func:`grpo_plus.demo.evaluation.auc` of ``eval_curve``'s ``sampled_accuracy``, and
    the curve's first / last points must carry ``eval_sampled_accuracy_before`` / ``_after`` and
    ``eval_pass_at_{num_samples}_after`` (its ``pass_at_k``).
    """
    from grpo_plus.demo.evaluation import auc

    curve = row["eval_curve"]
    checks = {
        "eval_sampled_auc": (row["eval_sampled_auc"], auc(curve, "sampled_accuracy")),
        "eval_sampled_accuracy_before": (row["eval_sampled_accuracy_before"], curve[0]["sampled_accuracy"]),
        "eval_sampled_accuracy_after": (row["eval_sampled_accuracy_after"], curve[-1]["sampled_accuracy"]),
        f"eval_pass_at_{num_samples}_after": (row[f"eval_pass_at_{num_samples}_after"], curve[-1]["pass_at_k"]),
    }
    wrong = {k: v for k, v in checks.items() if abs(v[0] - v[1]) > tolerance}
    if wrong:
        raise ValueError(f"{row.get('arm')} seed {row.get('seed')}: summary and eval_curve disagree on "
                         + ", ".join(f"{k} ({a} vs {b} from the curve)" for k, (a, b) in wrong.items()))


def add_cost(row: dict, arm: Arm, per_step: int = COMPLETIONS_PER_STEP) -> dict:
    """``row`` (one run's summary) with ``completions_generated`` and ``gain_per_10k_completions`` added."""
    rounds = row.get("train_metrics", {}).get("dynamic_sampling/rounds", 1.0)
    mu = int(flag_value(arm.flags, "--num_iterations", "1"))
    count = completions_generated(row["steps"], per_step, rounds, mu)
    gain = gain_per_completions(row["eval_sampled_accuracy_before"], row["eval_sampled_accuracy_after"], count)
    return {**row, "completions_generated": round(count, 1), "gain_per_10k_completions": round(gain, 4)}


def end_evaluation(run_dir: Path, warm_start_dir: str | Path) -> dict[str, float]:
    """A run's last sampled held-out evaluation re-measured from its saved weights, with the warm start as the KL
    reference: the same 256 chains, 8 samples each from the same seed (so the same completions), one torch thread.

    Returns ``sampled_accuracy``, ``entropy`` and ``kl_to_reference`` (k3 per token, :func:`token_statistics`). For
    runs whose in-training KL was 0 because of the reference-copy bug (amendment 2 of process_chains; deviation 1).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from grpo_plus.demo import chains, chains_run
    from grpo_plus.demo.evaluation import evaluate_sampled
    from grpo_plus.demo.warmstart import torch_threads

    held_out = chains.eval_chains(chains_run.EVAL_PROBLEMS)
    with torch_threads(1):
        policy = AutoModelForCausalLM.from_pretrained(run_dir).eval()
        reference = AutoModelForCausalLM.from_pretrained(warm_start_dir).eval()
        tokenizer = AutoTokenizer.from_pretrained(run_dir)
        out = evaluate_sampled(policy, tokenizer, [c.prompt for c in held_out], [c.solution for c in held_out],
                               chains_run.DEFAULT_ARGS["max_completion_length"], chains_run.EVAL_SAMPLES,
                               chains_run.EVAL_SAMPLE_SEED, reference=reference)
    return {key: out[key] for key in ("sampled_accuracy", "entropy", "kl_to_reference")}


def with_end_kl(row: dict, runs_dir: Path, warm_start_dir: str | Path, tolerance: float = 1e-3) -> dict:
    """``row`` with ``eval_kl_to_reference_after`` re-measured by :func:`end_evaluation` when the run recorded 0 and
    its weights are on disk; raises if the re-measured sampled accuracy or entropy is not the run's own (then the
    completions were not the same)."""
    run_dir = runs_dir / f"{row['arm']}-seed{row['seed']}"
    if row.get("eval_kl_to_reference_after") != 0.0 or not (run_dir / "model.safetensors").is_file():
        return row
    saved = run_dir / END_EVALUATION
    if saved.is_file():
        again = json.loads(saved.read_text())
    else:
        again = end_evaluation(run_dir, warm_start_dir)
        saved.write_text(json.dumps(again) + "\n")
    for key, recorded_key in (("sampled_accuracy", "eval_sampled_accuracy_after"), ("entropy", "eval_entropy_after")):
        if abs(again[key] - row[recorded_key]) > tolerance:
            raise ValueError(f"{row['arm']} seed {row['seed']}: re-measured {key} {again[key]:.4f} is not the run's "
                             f"{row[recorded_key]:.4f}: not the same completions")
    return {**row, "eval_kl_to_reference_after": round(again["kl_to_reference"], 5), "kl_end_remeasured": True}


# ---------------------------------------------------------------------------------------------------- analysis
def compare(rows: Sequence[dict], base: Sequence[dict]) -> dict[str, Any]:
    """Paired AUC and pass@8 differences of ``rows`` against ``base`` and the rule-1 verdict."""
    auc, passes = paired(rows, base, PRIMARY), paired(rows, base, PASS_AT_8)
    se = paired_se(auc) if auc else math.inf
    return {"auc_gain": round(statistics.fmean(auc), 4) if auc else None,
            "two_paired_se": round(2 * se, 4) if math.isfinite(se) else None,
            "per_seed": [round(d, 4) for d in auc], "positive_seeds": sum(d > 0 for d in auc),
            "pass_at_8_diff": round(statistics.fmean(passes), 4) if passes else None,
            "verdict": verdict(auc, passes)}


def decide(grouped: Mapping[str, Sequence[dict]]) -> dict[str, Any]:
    """The pre-registered rules 1-4: per-arm verdicts against their comparators, health, and the defaults."""
    comparisons = {
        arm: {c: compare(grouped[arm], grouped[c]) for c in COMPARATORS.get(arm, ()) if c in grouped}
        for arm in grouped if arm != "baseline"
    }
    health = {arm: healthy(rows) for arm, rows in grouped.items()}

    def helps(arm: str, *against: str) -> bool:
        found = comparisons.get(arm, {})
        return health.get(arm, False) and all(found.get(c, {}).get("verdict") == "helps" for c in against)

    defaults: dict[str, Any] = {}
    if "dynamic_sampling" in grouped and "baseline" in grouped:
        per_completion = (statistics.fmean(r["gain_per_10k_completions"] for r in grouped["dynamic_sampling"])
                          >= statistics.fmean(r["gain_per_10k_completions"] for r in grouped["baseline"]))
        step = helps("dynamic_sampling", "baseline")
        defaults["dynamic_sampling"] = {"change": step and per_completion, "helps_per_step": step,
                                        "at_least_baseline_per_completion": per_completion}
    entropy = [arm for arm, against in (("clip_cov", ("baseline",)), ("kl_cov", ("baseline", "baseline_mu2")))
               if arm in grouped and helps(arm, *against)]
    best = max(entropy, key=lambda arm: comparisons[arm]["baseline"]["auc_gain"]) if entropy else None
    defaults["entropy_control"] = {"change": best is not None, "to": best}
    defaults["kl_estimator"] = {"change": helps("k3plus_loss", "k3_loss"), "to": "k3+"}
    defaults["recommend_kl_in_reward_k1"] = helps("k1_reward", "k3_loss")
    defaults["recommend_adaptive_kl"] = helps("adaptive_kl", "k3_loss")
    defaults["recommend_beta"] = any(helps(arm, "baseline") for arm in KL_ARMS)
    defaults["recommend_entropy_bonus"] = helps("entropy_bonus", "baseline")
    return {"comparisons": comparisons, "healthy": health, "defaults": defaults,
            "amendment_2_group_scaling": group_scaling_hypothesis(grouped),
            "amendment_4_k1_reward_none_learns": learns_without_group_scaling(grouped)}


def learns_like(grouped: Mapping[str, Sequence[dict]], arm: str, control: str) -> bool | None:
    """Rules A and B's test: ``arm`` - ``control`` paired AUC > -margin at every seed (None before their runs)."""
    if arm not in grouped or control not in grouped:
        return None
    diffs = paired(grouped[arm], grouped[control], PRIMARY)
    return bool(diffs) and all(d > -AMENDMENT_2_MARGIN for d in diffs)


def group_scaling_hypothesis(grouped: Mapping[str, Sequence[dict]]) -> str | None:
    """Amendment 2's rule A on paired AUCs: "supported" if k1_reward_batch learns like baseline_batch
    (:func:`learns_like`), "refuted" if |k1_reward_batch - k1_reward| < margin at every seed, else "inconclusive"
    (None before its runs)."""
    if "k1_reward" not in grouped or learns_like(grouped, "k1_reward_batch", "baseline_batch") is None:
        return None
    if learns_like(grouped, "k1_reward_batch", "baseline_batch"):
        return "supported"
    vs_group = paired(grouped["k1_reward_batch"], grouped["k1_reward"], PRIMARY)
    if vs_group and all(abs(d) < AMENDMENT_2_MARGIN for d in vs_group):
        return "refuted"
    return "inconclusive"


def learns_without_group_scaling(grouped: Mapping[str, Sequence[dict]]) -> bool | None:
    """Amendment 4's rule B: k1_reward_none learns like baseline_none (:func:`learns_like`)."""
    return learns_like(grouped, "k1_reward_none", "baseline_none")


def _mean(rows: Sequence[dict], key: str) -> float:
    return statistics.fmean(r[key] for r in rows)


def table(grouped: Mapping[str, Sequence[dict]], decision: Mapping[str, Any]) -> str:
    """Markdown: per arm the sampled AUC (mean ± std, per seed), the paired gain and verdict against each comparator,
    sampled accuracy and pass@8 at the end, entropy start → end, KL to the start, completion length start → end, CPU
    seconds per step, completions generated and the accuracy gain per 10k completions."""
    lines = [
        "| arm | sampled AUC (mean ± std) | per seed | paired AUC gain: verdict | sampled acc. end | pass@8 end "
        "| entropy start → end | KL to start, end | length start → end | CPU s/step | completions | "
        "acc. gain per 10k completions |",
        "|" + "---|" * 12,
    ]
    comparisons = decision.get("comparisons", {})
    for arm, rows in grouped.items():
        verdicts = "; ".join(f"vs {c} {v['auc_gain']:+.3f} ({v['positive_seeds']}/{len(v['per_seed'])} > 0): "
                             f"{v['verdict']}" for c, v in comparisons.get(arm, {}).items() if v["per_seed"]) or "—"
        lines.append("| " + " | ".join([
            arm, fmt(*mean_std([r[PRIMARY] for r in rows])), per_seed(rows, PRIMARY), verdicts,
            fmt(*mean_std([r["eval_sampled_accuracy_after"] for r in rows])),
            fmt(*mean_std([r[PASS_AT_8] for r in rows])),
            f"{_mean(rows, 'eval_entropy_before'):.3f} → {fmt(*mean_std([r['eval_entropy_after'] for r in rows]))}",
            fmt(*mean_std([r["eval_kl_to_reference_after"] for r in rows])),
            f"{_mean(rows, 'eval_completion_length_before'):.1f} → {_mean(rows, 'eval_completion_length_after'):.1f}",
            f"{_mean(rows, 'cpu_s_per_step'):.2f}", f"{_mean(rows, 'completions_generated'):.0f}",
            fmt(*mean_std([r["gain_per_10k_completions"] for r in rows])),
        ]) + " |")
    return "\n".join(lines)


def seed_table(grouped: Mapping[str, Sequence[dict]]) -> str:
    """Markdown: every run's figures, one row per arm and seed."""
    lines = ["| arm | seed | sampled AUC | sampled acc. end | pass@8 end | entropy end | KL to start | length end "
             "| steps/completion end | CPU s/step | completions |", "|" + "---|" * 11]
    for arm, rows in grouped.items():
        for r in rows:
            lines.append(f"| {arm} | {r['seed']} | {r[PRIMARY]:.3f} | {r['eval_sampled_accuracy_after']:.3f} "
                         f"| {r[PASS_AT_8]:.3f} | {r['eval_entropy_after']:.3f} "
                         f"| {r['eval_kl_to_reference_after']:.4f} "
                         f"| {r['eval_completion_length_after']:.1f} | {r['steps_per_completion_after']:.2f} "
                         f"| {r['cpu_s_per_step']:.2f} | {r['completions_generated']:.0f} |")
    return "\n".join(lines)


def report(results: Sequence[dict], planned: int) -> tuple[str, dict[str, Any]]:
    """The tables and the decision, printed to stdout; returns (text, decision)."""
    grouped = by_arm(results, list(ARMS))
    decision = decide(grouped)
    text = "\n".join([
        f"Machine: {machine_line()}", f"Runs done: {len(results)} of {planned} planned", "",
        table(grouped, decision), "", "Per seed", "", seed_table(grouped), "",
        "Decision: " + json.dumps(decision["defaults"]), "Health: " + json.dumps(decision["healthy"]),
        "Amendment 2 (exploratory), H (group scaling stops k1 in the reward): "
        + str(decision["amendment_2_group_scaling"]),
        "Amendment 4 (exploratory), k1 in the reward learns with no scaling: "
        + str(decision["amendment_4_k1_reward_none_learns"]),
    ])
    print(text, flush=True)  # noqa: T201  (the experiment's table goes to stdout)
    return text, decision


def results_json(results: Sequence[dict], arm_list: Sequence[Arm], decision: Mapping[str, Any], planned: int) -> dict:
    """``{"protocol", "runs_planned", "runs_done", "decision",
    "arms": {name: {"cli": [...], "seeds": {seed: figures}}}}``."""
    out: dict[str, Any] = {"protocol": "benchmarks/training_health.py", "runs_planned": planned,
                           "runs_done": len(results), "decision": decision, "arms": {}}
    for arm in arm_list:
        rows = sorted((r for r in results if r["arm"] == arm.name), key=lambda r: r["seed"])
        out["arms"][arm.name] = {"cli": arm.cli, "seeds": {str(r["seed"]): {k: r[k] for k in KEEP if k in r}
                                                           for r in rows}}
    return out


def harness_rows(decision: Mapping[str, Any]) -> list[dict]:
    """One row per arm with its paired AUC gains over baseline, and the defaults as a note."""
    rows = []
    for arm, found in decision.get("comparisons", {}).items():
        base = found.get("baseline")
        if base and base["per_seed"]:
            rows.append(make_row(f"training_health: {arm} sampled AUC gain over baseline (paired)",
                                 "baseline, same seeds", base["per_seed"], "sampled accuracy", "helps (rule 1)",
                                 base["verdict"] == "helps", base["verdict"]))
    rows.append(note_row("training_health: defaults", json.dumps(decision.get("defaults", {}))))
    return rows


# ---------------------------------------------------------------------------------------------------- running
def execute(arm_list: Sequence[Arm], runs_dir: Path, extra: Sequence[str] = (), reuse: bool = True,
            per_step: int = COMPLETIONS_PER_STEP) -> list[dict]:
    """Run every (arm, seed) seed-major, at most ``PARALLEL`` at a time; each summary with its generation cost. With
    ``reuse``, a run is taken from its folder if it has one, else from the results JSON's record (same ``cli``)."""
    jobs = seed_major(arm_list)
    if reuse and not extra:
        results = run_or_recall(jobs, runs_dir, recorded(RESULTS_JSON, arm_list), PARALLEL)
    else:
        results = run_jobs(jobs, runs_dir, PARALLEL, extra, reuse=reuse)
    arm_of = {arm.name: arm for arm in arm_list}
    for row in results:
        check_run(row)
    return [add_cost(row, arm_of[row["arm"]], per_step) for row in results]


def prepare_warm_start() -> str:
    """Build the chains task's warm start (if not cached) before runs start in parallel; its path."""
    from grpo_plus.demo import chains_run
    from grpo_plus.demo.warmstart import ensure_warm_start

    return ensure_warm_start(chains_run.TASKS["chains"].warm_start, num_threads=1)


def run(quick: bool = False, runs_dir: Path | None = None, reuse: bool = True,
        names: Sequence[str] | None = None) -> list[dict]:
    """The experiment (``quick``: one seed, 2 steps, 16 completions per step, a temporary folder, nothing written
    under benchmarks/results; a smoke test only). ``names`` runs only those arms and prints their table without
    writing benchmarks/results (a partial table must not replace the experiment's)."""
    start = time.perf_counter()
    if quick:
        prepare_warm_start()
        arm_list = [replace(a, seeds=(0,)) for a in arms(names=names)]
        with tempfile.TemporaryDirectory(prefix="training-health-") as tmp:
            results = execute(arm_list, Path(tmp), QUICK_FLAGS, reuse=False, per_step=QUICK_COMPLETIONS_PER_STEP)
        _, decision = report(results, len(results))
        return harness_rows(decision)
    warm_start_dir = prepare_warm_start()
    arm_list = arms(names=names)
    planned = len(seed_major(arm_list))
    runs_dir = runs_dir if runs_dir is not None else RUNS_DIR
    results = [with_end_kl(row, runs_dir, warm_start_dir) for row in execute(arm_list, runs_dir, reuse=reuse)]
    text, decision = report(results, planned)
    if names is not None:
        logger.info("training_health: %d runs of the arms %s; benchmarks/results left as they were", len(results),
                    list(names))
        return harness_rows(decision)
    RESULTS_MD.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_MD.write_text(text + "\n")
    RESULTS_JSON.write_text(json.dumps(results_json(results, arm_list, decision, planned), indent=1) + "\n")
    panels = (("eval_curve", "sampled_accuracy", "held-out sampled accuracy"),
              ("eval_curve", "entropy", "policy entropy per token (held-out samples)"))
    plot_curves(by_arm(results, list(ARMS)), panels, RESULTS_PNG, "training health on sparse long chains: mean ± std")
    logger.info("training_health: %d runs in %.0f s", len(results), time.perf_counter() - start)
    return harness_rows(decision)


def main(argv: Sequence[str] | None = None) -> int:
    parser = experiment_parser(__doc__, "training_health", "1 seed, 2 steps per arm: a smoke run, not the experiment")
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=None,
                        help="run only these arms and print their table (benchmarks/results is not written)")
    args = parser.parse_args(argv)
    start_logging()
    run(quick=args.quick, runs_dir=args.runs_dir, reuse=not args.fresh, names=args.arms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
