"""Benchmark: GRPOPlusTrainer against TRL's GRPOTrainer on the same work, as ratios.

Every run trains the offline tiny Qwen2 (2 layers, byte-level BPE) on CPU with the same seed, config and prompts:
16 completions per step (2 prompts × 8 generations) of exactly 32 new tokens (``min_new_tokens`` keeps every run's
generation the same length), β = 0.04 so the KL path runs, one optimizer step per generation batch, logging every
step, float32 (TRL's default bf16 autocast is emulated on most CPUs and doubles the step), one torch thread, TRL's
defaults otherwise. At this size generation is about half of a step, so the loss, the backward pass and the
per-step glue are visible in the ratio.

Time per optimizer step: all variants run in one fresh worker process, interleaved step by step
(:class:`benchmarks.common.TurnScheduler`: A B C … then … C B A, one thread per trainer, only one running at a time,
each with its own RNG state, so each run draws exactly the random numbers it would draw alone). A turn runs from
one ``on_step_end`` of a trainer to its next: generation, rewards, loss, backward, optimizer step and logging. The
time of a step is the CPU time of the process during that turn (on a machine shared with other work, wall time also
counts the time the process waits for a core; both are the same on an idle machine). Per run, the median over its
turns after the first two (setup, warm-up); per repeat, variant over reference; the table gives the median and
min–max over the repeats. A short warm-up repeat of every variant is discarded first. The notes give the same
ratio on wall time and on TRL's logged ``step_time`` (which leaves out the optimizer step and logging), and for
kl_in_reward and process mode the CPU time spent in the trainer methods that add the extra work. The A/A row runs
k3 against an identical k3 run: the noise floor of the table.

Peak RSS: each trainer in its own fresh interpreter (``ru_maxrss`` of a whole training run), TRL and grpo_plus
side by side, pair after pair. ``--quick`` runs one short repeat and starts the RSS pair beside it (a smoke run:
its ratios are rough).

Run ``python -m benchmarks.bench_trainer [--quick]``; ``python -m benchmarks.run`` includes it.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks.common import (  # noqa: E402
    TurnScheduler,
    capture_rng,
    make_row,
    paired_ratios,
    peak_rss_bytes,
    run_worker,
    run_workers,
    write_json,
)

logger = logging.getLogger(__name__)

NUM_COMPLETIONS = 16
NUM_GENERATIONS = 8
COMPLETION_TOKENS = 32
BETA = 0.04
SEED = 0
STEP_SEPARATOR = " "
TORCH_THREADS = 1

# steps: optimizer steps per run; discard: first turns of a run left out (the first includes setup); warm-up repeat
# of warmup_steps discarded; repeats until max_repeats, or until the budget (seconds) is spent once min_repeats ran.
FULL = {"steps": 22, "discard": 2, "warmup_steps": 3, "min_repeats": 3, "max_repeats": 5, "budget_s": 170.0,
        "rss_steps": 20, "rss_pairs": 2}
QUICK = {"steps": 4, "discard": 2, "warmup_steps": 0, "min_repeats": 1, "max_repeats": 1, "budget_s": 0.0,
         "rss_steps": 3, "rss_pairs": 1}

# variant name -> (trainer, GRPOPlusConfig fields)
VARIANTS: dict[str, tuple[str, dict]] = {
    "trl": ("trl", {}),
    "k3": ("plus", {"kl_estimator": "k3"}),
    "k3_again": ("plus", {"kl_estimator": "k3"}),
    "k1": ("plus", {"kl_estimator": "k1"}),
    "k2": ("plus", {"kl_estimator": "k2"}),
    "k1+": ("plus", {"kl_estimator": "k1+"}),
    "k3+": ("plus", {"kl_estimator": "k3+"}),
    "kl_in_reward": ("plus", {"kl_estimator": "k3", "kl_in_reward": True}),
    "process": ("plus", {"kl_estimator": "k3", "reward_mode": "process", "step_separator": STEP_SEPARATOR}),
    # a reward that is constant for half of the prompts: TRL trains on their zero-advantage groups, dynamic sampling
    # replaces them with fresh prompts
    "trl_mixed": ("trl", {"_reward": "mixed"}),
    "dynamic": ("plus", {"_reward": "mixed", "dynamic_sampling": True, "max_resample_rounds": 3}),
}
PLUS_K3 = "GRPOPlusTrainer k3, outcome"
AA_LABEL = "A/A control: identical k3 run: time/step"
# (row label, variant, reference variant, reference label, target ratio)
COMPARISONS: list[tuple[str, str, str, str, float]] = [
    ("GRPOPlusTrainer k3, outcome: time/step", "k3", "trl", "TRL GRPOTrainer", 1.03),
    (AA_LABEL, "k3_again", "k3", PLUS_K3, 1.02),
    ("kl_estimator=k1: time/step", "k1", "k3", PLUS_K3, 1.02),
    ("kl_estimator=k2: time/step", "k2", "k3", PLUS_K3, 1.02),
    ("kl_estimator=k1+: time/step", "k1+", "k3", PLUS_K3, 1.02),
    ("kl_estimator=k3+: time/step", "k3+", "k3", PLUS_K3, 1.02),
    ("kl_in_reward=True (k3): time/step", "kl_in_reward", "k3", PLUS_K3, 1.02),
    ("reward_mode=process: time/step", "process", "k3", f"{PLUS_K3} (same prompts)", 1.10),
]
# trainer methods whose CPU time is the extra work of a variant (reported per step in its notes)
HOTSPOTS: dict[str, tuple[str, ...]] = {
    "kl_in_reward": ("_sampling_kl", "_advantages"),
    "process": ("_split_steps", "_advantages"),
}
DYNAMIC_LABEL = "dynamic_sampling=True: CPU time per informative group"
ROUNDS_LABEL = "dynamic_sampling=True: generation rounds per step"
RSS_LABEL = "GRPOPlusTrainer k3: peak RSS of a run"
RSS_TARGET = 1.05
SETUP = (
    f"{NUM_COMPLETIONS} completions × {COMPLETION_TOKENS} tokens/step, β={BETA}, tiny Qwen2, float32, "
    f"{TORCH_THREADS} torch thread; time/step = CPU time of a whole optimizer step, median per run"
)


# ------------------------------------------------------------------------------------------- the training work
def prompts_dataset():
    """64 arithmetic prompts (plain text), the same for every run; ``kind`` alternates 'const' / 'vary'."""
    from datasets import Dataset

    rows = [
        {"prompt": f"Compute {a} * {b} + {a + b}. Show each step. ", "kind": "const" if (a + b) % 2 else "vary"}
        for a in range(2, 10)
        for b in range(3, 11)
    ]
    return Dataset.from_list(rows)


def mixed_reward(completions, kind, **kwargs) -> list[float]:
    """1.0 for every completion of a 'const' prompt (a group with no signal), the text length for the others."""
    return [1.0 if k == "const" else float(len(_text(c))) for c, k in zip(completions, kind)]


def _arithmetic_steps():
    import rewards

    return rewards.get_reward("arithmetic_steps", no_equation=0.0)


def arithmetic_outcome(completions, **kwargs) -> list[float]:
    """Outcome reward: ``arithmetic_steps`` applied to each whole completion as one step (0.0 without equations).

    The outcome runs use it so that process mode (the same checker, per step) is compared on the same reward work.
    """
    scores = _arithmetic_steps()(steps=[[_text(c)] for c in completions])
    return [row[0] for row in scores]


def _text(completion) -> str:
    if isinstance(completion, str):
        return completion
    return "".join(message.get("content", "") for message in completion)


def build_trainer(variant: str, model_dir: str, output_dir: str, steps: int, callbacks: Sequence = ()):
    """A TRL or grpo_plus trainer for ``variant`` (see :data:`VARIANTS`), ready to ``train()`` for ``steps``."""
    from transformers.trainer_callback import PrinterCallback
    from trl import GRPOConfig, GRPOTrainer

    from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer

    kind, fields = VARIANTS[variant]
    fields = dict(fields)
    mixed = fields.pop("_reward", None) == "mixed"
    common = dict(
        output_dir=output_dir,
        per_device_train_batch_size=NUM_COMPLETIONS,
        num_generations=NUM_GENERATIONS,
        max_completion_length=COMPLETION_TOKENS,
        generation_kwargs={"min_new_tokens": COMPLETION_TOKENS},
        max_steps=steps,
        learning_rate=1e-5,
        beta=BETA,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        seed=SEED,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    if kind == "trl":
        trainer = GRPOTrainer(
            model=model_dir, reward_funcs=[mixed_reward if mixed else arithmetic_outcome], args=GRPOConfig(**common),
            train_dataset=prompts_dataset(), callbacks=list(callbacks),
        )
    else:
        reward = _arithmetic_steps() if fields.get("reward_mode") == "process" else arithmetic_outcome
        reward = mixed_reward if mixed else reward
        trainer = GRPOPlusTrainer(
            model=model_dir, reward_funcs=[reward], args=GRPOPlusConfig(**common, **fields),
            train_dataset=prompts_dataset(), callbacks=list(callbacks),
        )
    trainer.remove_callback(PrinterCallback)
    return trainer


def _quiet() -> None:
    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    logging.getLogger("trl").setLevel(logging.ERROR)
    logging.getLogger("grpo_plus").setLevel(logging.ERROR)
    torch.set_num_threads(TORCH_THREADS)


# ----------------------------------------------------------------------------------------------- timing worker
def _interleaved_repeat(variants: Sequence[str], model_dir: str, steps: int, workdir: str) -> dict:
    """One repeat: every variant trains ``steps`` steps, interleaved step by step. Returns, per variant, the turn
    times and TRL's step_time values (all steps), the mean steps per completion (process mode) and the log history."""
    from transformers import TrainerCallback

    class EndTurn(TrainerCallback):
        def __init__(self):
            self.turn = None

        def on_step_end(self, args, state, control, **kwargs):
            self.turn.end()

    callbacks, trainers, rng_states, spent = [], [], [], []
    for variant in variants:
        callback = EndTurn()
        trainer = build_trainer(variant, model_dir, os.path.join(workdir, variant), steps, [callback])
        callbacks.append(callback)
        trainers.append(trainer)
        spent.append(_time_methods(trainer, HOTSPOTS.get(variant, ())))
        rng_states.append(capture_rng())
    scheduler = TurnScheduler(len(variants), rng_states)

    def job(index):
        def train(turn):
            callbacks[index].turn = turn
            trainers[index].train()
            return trainers[index].state.log_history

        return train

    histories = scheduler.run([job(i) for i in range(len(variants))])
    result = {}
    for variant, history, turns, cpu, hot in zip(
        variants, histories, scheduler.durations, scheduler.cpu_durations, spent
    ):
        step_times = [h["step_time"] for h in history if "step_time" in h]
        steps_per = [h["steps/per_completion"] for h in history if "steps/per_completion" in h]
        groups = NUM_COMPLETIONS // NUM_GENERATIONS
        informative = [
            groups * h.get("dynamic_sampling/kept_frac", 1.0 - h["frac_reward_zero_std"])
            for h in history
            if "frac_reward_zero_std" in h
        ]
        result[variant] = {
            "informative": informative,
            "rounds": [h["dynamic_sampling/rounds"] for h in history if "dynamic_sampling/rounds" in h],
            "turns": turns,
            "cpu": cpu,
            "step_time": step_times,
            "steps_per_completion": statistics.mean(steps_per) if steps_per else None,
            "hotspots": {name: seconds / steps for name, seconds in hot.items()},
            "history": history,
        }
    return result


def _time_methods(trainer, names: Sequence[str]) -> dict[str, float]:
    """Wrap ``trainer.<name>`` to add up the CPU time spent in it; returns the live totals (seconds)."""
    import functools

    totals: dict[str, float] = {}
    for name in names:
        method = getattr(trainer, name)
        totals[name] = 0.0

        @functools.wraps(method)
        def timed(*args, _method=method, _name=name, **kwargs):
            start = time.process_time()
            try:
                return _method(*args, **kwargs)
            finally:
                totals[_name] += time.process_time() - start

        setattr(trainer, name, timed)
    return totals


def timing_worker(model_dir: str, variants: Sequence[str], plan: dict) -> dict:
    """Warm-up repeat (discarded), then repeats until ``max_repeats`` or the time budget (at least ``min_repeats``)."""
    _quiet()
    with tempfile.TemporaryDirectory(prefix="bench-trainer-") as workdir:
        if plan["warmup_steps"]:
            _interleaved_repeat(variants, model_dir, plan["warmup_steps"], workdir)
        repeats = []
        start = time.perf_counter()
        while len(repeats) < plan["max_repeats"]:
            began = time.perf_counter()
            repeats.append(_interleaved_repeat(variants, model_dir, plan["steps"], workdir))
            took = time.perf_counter() - began
            logger.info("repeat %d took %.0f s", len(repeats), took)
            done = len(repeats) >= plan["min_repeats"]
            if done and time.perf_counter() - start + took > plan["budget_s"]:
                break
    return {"repeats": repeats}


def rss_worker(model_dir: str, variant: str, steps: int) -> dict:
    """One training run of ``variant`` alone in this fresh interpreter; its peak RSS and any child processes."""
    import psutil

    _quiet()
    with tempfile.TemporaryDirectory(prefix="bench-rss-") as workdir:
        trainer = build_trainer(variant, model_dir, workdir, steps)
        trainer.train()
        children = psutil.Process().children(recursive=True)
        child_rss = sum(_rss(child) for child in children)
    return {"peak_rss": peak_rss_bytes(), "children": len(children), "children_rss": child_rss}


def _rss(process) -> int:
    import psutil

    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


# ------------------------------------------------------------------------------------------------------ rows
def _per_run(repeats: list[dict], variant: str, key: str, discard: int) -> list[float]:
    return [statistics.median(rep[variant][key][discard:]) for rep in repeats]


def timing_rows(result: dict, plan: dict) -> list[dict]:
    """One row per entry of :data:`COMPARISONS` from the timing worker's repeats."""
    repeats = result["repeats"]
    discard = plan["discard"]
    rows = []
    for label, variant, reference, reference_label, target in COMPARISONS:
        target_text = "1.00x ± 0.02" if variant == "k3_again" else f"≤ {target:.2f}x"
        cpu_a = _per_run(repeats, reference, "cpu", discard)
        cpu_b = _per_run(repeats, variant, "cpu", discard)
        ratios = paired_ratios(cpu_b, cpu_a)
        wall = paired_ratios(
            _per_run(repeats, variant, "turns", discard), _per_run(repeats, reference, "turns", discard)
        )
        step_time = paired_ratios(
            _per_run(repeats, variant, "step_time", discard), _per_run(repeats, reference, "step_time", discard)
        )
        median = statistics.median(ratios)
        met = abs(median - 1.0) <= target - 1.0 if variant == "k3_again" else median <= target
        notes = [
            f"{len(repeats)} interleaved repeats × {plan['steps'] - discard} steps",
            f"CPU {1000 * statistics.median(cpu_a):.0f} vs {1000 * statistics.median(cpu_b):.0f} ms/step",
            f"wall-time ratio {statistics.median(wall):.3f} ({min(wall):.3f}–{max(wall):.3f})",
            f"TRL step_time ratio {statistics.median(step_time):.3f}",
        ]
        hot = _hotspot_note(repeats, variant, cpu_a)
        if hot:
            notes.append(hot)
        if variant == "kl_in_reward":
            notes.append("advantages computed in the loss call from its log-probs: no extra policy forward")
        if variant == "process":
            per = statistics.mean(rep["process"]["steps_per_completion"] or 0.0 for rep in repeats)
            notes.append(
                f"arithmetic_steps per step vs on the whole completion; steps split at ' ' ({per:.1f} per completion)"
            )
        if variant == "k3_again":
            notes.append("noise floor: the same work twice")
        rows.append(make_row(label, reference_label, ratios, "x", target_text, met, "; ".join(notes)))
    if "dynamic" in repeats[0]:
        rows.extend(dynamic_rows(repeats, discard))
    return rows


def dynamic_rows(repeats: list[dict], discard: int) -> list[dict]:
    """Dynamic sampling against TRL on the same prompts and reward: rounds per step, and CPU time per informative
    group of the trained batch (TRL trains on the zero-advantage groups too)."""
    per_group = []
    for rep in repeats:
        cost = {}
        for variant in ("dynamic", "trl_mixed"):
            cpu = rep[variant]["cpu"][discard:]
            informative = rep[variant]["informative"][discard:]
            cost[variant] = statistics.median(c / max(i, 1e-9) for c, i in zip(cpu, informative))
        per_group.append(cost["dynamic"] / cost["trl_mixed"])
    rounds = [r for rep in repeats for r in rep["dynamic"]["rounds"][discard:]]
    informative = {
        v: statistics.mean(i for rep in repeats for i in rep[v]["informative"][discard:]) for v in ("dynamic", "trl_mixed")
    }
    cpu = {v: statistics.median(_per_run(repeats, v, "cpu", discard)) for v in ("dynamic", "trl_mixed")}
    notes = (
        f"{NUM_COMPLETIONS // NUM_GENERATIONS} groups per step, half the prompts with a constant reward; informative "
        f"groups per trained batch {informative['dynamic']:.2f} vs TRL {informative['trl_mixed']:.2f}; CPU "
        f"{1000 * cpu['dynamic']:.0f} vs {1000 * cpu['trl_mixed']:.0f} ms/step"
    )
    return [
        make_row(DYNAMIC_LABEL, "TRL GRPOTrainer, same prompts and reward", per_group, "x", "report", True, notes),
        make_row(
            ROUNDS_LABEL, "none (absolute)", rounds, "rounds", "≤ 4 (max_resample_rounds + 1)", max(rounds) <= 4,
            f"median over {len(rounds)} steps; 1 = the first generation already filled the batch",
        ),
    ]


def _hotspot_note(repeats: list[dict], variant: str, reference_cpu: list[float]) -> str:
    """'in _sampling_kl 14 ms/step (6.9%)': CPU time in the variant's extra methods, per step and vs the reference."""
    names = list(repeats[0][variant].get("hotspots", {}))
    if not names:
        return ""
    parts = []
    for name in names:
        per_step = statistics.median(rep[variant]["hotspots"][name] for rep in repeats)
        parts.append(f"{name} {1000 * per_step:.1f} ms/step ({100 * per_step / statistics.median(reference_cpu):.1f}%)")
    return "CPU in " + ", ".join(parts)


def rss_row(pairs: list[tuple[dict, dict]], steps: int) -> dict:
    ratios = [plus["peak_rss"] / trl["peak_rss"] for trl, plus in pairs]
    mib = 1024 * 1024
    trl_peak = statistics.median(trl["peak_rss"] for trl, _ in pairs) / mib
    plus_peak = statistics.median(plus["peak_rss"] for _, plus in pairs) / mib
    children = max(max(trl["children"], plus["children"]) for trl, plus in pairs)
    notes = (
        f"ru_maxrss, {len(pairs)} pair(s) of fresh interpreters × {steps} steps; "
        f"{trl_peak:.0f} vs {plus_peak:.0f} MiB; child processes at the end: {children}"
    )
    return make_row(RSS_LABEL, "TRL GRPOTrainer", ratios, "x", f"≤ {RSS_TARGET:.2f}x",
                    statistics.median(ratios) <= RSS_TARGET, notes)


def run(quick: bool = False) -> list[dict]:
    """The trainer rows: time-per-step ratios (:data:`COMPARISONS`) and the peak-RSS ratio."""
    from grpo_plus.demo.tiny import save_tiny_model

    plan = QUICK if quick else FULL
    variants = list(VARIANTS)
    module = __name__ if __name__ != "__main__" else "benchmarks.bench_trainer"
    with tempfile.TemporaryDirectory(prefix="bench-tiny-") as tmp:
        model_dir = save_tiny_model(Path(tmp) / "tiny-qwen2")
        mode = "--quick" if quick else "--full"
        timing_args = ["--worker", "timing", "--model", model_dir, mode, "--variants", *variants]
        rss_args = [
            ["--worker", "rss", "--model", model_dir, "--variants", name, "--steps", str(plan["rss_steps"])]
            for name in ("trl", "k3")
        ]
        pairs = []
        if quick:
            logger.info("bench_trainer: timing %d variants and one peak-RSS pair at once (quick)", len(variants))
            timing, trl, plus = run_workers(module, [timing_args, *rss_args])
            pairs.append((trl, plus))
        else:
            logger.info("bench_trainer: timing %d variants", len(variants))
            timing = run_worker(module, timing_args)
            for i in range(plan["rss_pairs"]):
                logger.info("bench_trainer: peak RSS, pair %d of %d", i + 1, plan["rss_pairs"])
                trl, plus = run_workers(module, rss_args)
                pairs.append((trl, plus))
        rows = timing_rows(timing, plan)
        rows.append(rss_row(pairs, plan["rss_steps"]))
    rows[0]["notes"] = f"{SETUP}; {rows[0]['notes']}"
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps, one repeat (a smoke run)")
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=("timing", "rss"), help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--variants", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.worker == "timing":
        write_json(args.out, timing_worker(args.model, args.variants, QUICK if args.quick else FULL))
    elif args.worker == "rss":
        write_json(args.out, rss_worker(args.model, args.variants[0], args.steps))
    else:
        from benchmarks.run import emit_table

        emit_table(run(quick=args.quick), f"python -m benchmarks.bench_trainer{' --quick' if args.quick else ''}")


if __name__ == "__main__":
    main()
