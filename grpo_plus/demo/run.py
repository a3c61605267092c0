"""The embedded offline demo: GRPO teaches a tiny model single-digit addition on the CPU in a few minutes.

``run_demo()`` (what ``grpo-plus train`` runs with no arguments):

1. takes the warm-start checkpoint from the cache, building it first if needed (:mod:`grpo_plus.demo.warmstart`:
   a ~350k-parameter Qwen2 that writes ``<think>a+b=c</think><answer>c</answer>`` and is right about 30 % of the
   time when sampled);
2. trains it with GRPO on generated problems (:mod:`grpo_plus.demo.data`), rewarded by the registry's
   ``accuracy`` and ``format`` rewards, logging every step;
3. saves the model, the log history and the curves in ``output_dir`` and returns a summary: the mean accuracy
   (and format) reward over the first and the last 10 % of the logged steps, the wall time and the paths.

Any training argument can be overridden by keyword (``run_demo(max_steps=50, learning_rate=5e-5)``).

``run_demo(task="multistep")`` runs the same recipe on another :class:`DemoTask`: the multi-step chains of
:mod:`grpo_plus.demo.multistep`, rewarded by the config's ``reward_funcs`` (outcome or process mode), with a greedy
held-out evaluation before, during and after training (:mod:`grpo_plus.demo.evaluation`) in the summary.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transformers.trainer_callback import ProgressCallback

from grpo_plus import GRPOPlusConfig as DemoConfig
from grpo_plus import GRPOPlusTrainer as DemoTrainer
from grpo_plus.demo import TASKS, chains_run, multistep_run
from grpo_plus.demo.data import build_dataset
from grpo_plus.demo.task import (
    ACCURACY_KEY,
    DEFAULT_ARGS,
    DEFAULT_OUTPUT_DIR,
    FORMAT_KEY,
    REWARDS,
    SUMMARY_FILENAME,
    DemoTask,
)
from grpo_plus.demo.warmstart import WarmStartConfig, ensure_warm_start, torch_threads
from grpo_plus.plotting import PlotMetricsCallback

logger = logging.getLogger(__name__)


def reward_functions(names: Sequence[str] = REWARDS) -> list:
    """The demo's rewards, from the registry."""
    from rewards import get_reward

    return [get_reward(name) for name in names]


ARITHMETIC = DemoTask(
    name="arithmetic",
    default_args=DEFAULT_ARGS,
    warm_start=WarmStartConfig(),
    dataset=lambda n, seed, warm_start: build_dataset(
        n=n, seed=seed, ops=warm_start.ops, max_operand=warm_start.max_operand
    ),
)


def demo_task(name: str) -> DemoTask:
    """The demo task called ``name`` (one of :data:`grpo_plus.demo.TASKS`)."""
    if name == "arithmetic":
        return ARITHMETIC
    if name == "multistep":
        return multistep_run.TASK
    if name in chains_run.TASKS:
        return chains_run.TASKS[name]
    raise ValueError(f"demo task {name!r} is not valid; choose one of {list(TASKS)}")


def window_means(log_history: Sequence[dict], key: str, fraction: float = 0.1) -> tuple[float, float] | None:
    """Mean of ``key`` over the first and over the last ``fraction`` of the log entries that have it.

    Each window holds ``max(1, floor(n * fraction))`` entries; None if no entry has ``key``.
    """
    values = [float(entry[key]) for entry in log_history if key in entry]
    if not values:
        return None
    size = max(1, math.floor(len(values) * fraction))
    return sum(values[:size]) / size, sum(values[-size:]) / size


class RewardProgressCallback(ProgressCallback):
    """TRL's progress bar, showing the latest accuracy and format rewards instead of printing a dict per step."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and self.training_bar is not None and logs and ACCURACY_KEY in logs:
            self.training_bar.set_postfix(
                accuracy=f"{logs[ACCURACY_KEY]:.2f}", format=f"{logs.get(FORMAT_KEY, float('nan')):.2f}"
            )


def summarize(log_history: Sequence[dict], fraction: float = 0.1) -> dict[str, Any]:
    """Reward means over the first and last ``fraction`` of the logged steps (accuracy and format)."""
    summary: dict[str, Any] = {}
    for name, key in (("accuracy", ACCURACY_KEY), ("format", FORMAT_KEY)):
        means = window_means(log_history, key, fraction)
        if means is not None:
            summary[f"{name}_before"], summary[f"{name}_after"] = round(means[0], 4), round(means[1], 4)
    if "accuracy_before" in summary:
        summary["accuracy_gain"] = round(summary["accuracy_after"] - summary["accuracy_before"], 4)
    return summary


def run_demo(
    output_dir: str | os.PathLike | None = None,
    *,
    task: str | DemoTask = "arithmetic",
    num_prompts: int = 4096,
    warm_start: WarmStartConfig | None = None,
    cache_root: str | os.PathLike | None = None,
    num_threads: int | None = 1,
    **overrides: Any,
) -> dict[str, Any]:
    """Run the demo and return its summary (also written to ``output_dir/demo_summary.json``).

    ``task`` is a :class:`DemoTask` or its name (:data:`grpo_plus.demo.TASKS`); ``output_dir`` defaults to the
    task's (``grpo-plus-demo`` for the one-step demo); ``warm_start`` replaces the task's
    warm-start config. ``overrides`` are training arguments (fields of the trainer's config) that replace the task's
    defaults. ``num_threads`` is the torch thread count during the run (restored after; None keeps the current one):
    one thread is fastest for this tiny model and by far the fastest when other processes compete for the cores.
    """
    start = time.perf_counter()
    task = demo_task(task) if isinstance(task, str) else task
    output_dir = Path(output_dir if output_dir is not None else task.output_dir)
    warm_start = warm_start if warm_start is not None else task.warm_start
    args = DemoConfig(**{**task.default_args, "output_dir": str(output_dir), **overrides})
    with torch_threads(num_threads), warnings.catch_warnings():
        # TRL 1.16 calls transformers' deprecated alias; the user of the demo can do nothing about it
        warnings.filterwarnings("ignore", message=r".*is_gradient_checkpointing.* is deprecated", category=FutureWarning)
        model_dir = ensure_warm_start(
            warm_start, cache_root=cache_root, num_threads=num_threads, progress=not args.disable_tqdm
        )
        warm_start_seconds = time.perf_counter() - start
        dataset = task.dataset(num_prompts, args.seed + 1, warm_start)
        held_out = task.evaluation(warm_start, args) if task.evaluation is not None else None
        trainer = DemoTrainer(
            model=model_dir,
            reward_funcs=reward_functions(task.rewards) if task.rewards is not None else None,
            args=args,
            train_dataset=dataset,
            callbacks=[PlotMetricsCallback(), *([held_out] if held_out is not None else [])],
        )
        if trainer.pop_callback(ProgressCallback) is not None:
            trainer.add_callback(RewardProgressCallback)
        train_start, cpu_start = time.perf_counter(), time.process_time()
        trainer.train()
        train_seconds, train_cpu = time.perf_counter() - train_start, time.process_time() - cpu_start
        trainer.save_model(str(output_dir))
    summary = {"task": task.name, **summarize(trainer.state.log_history)}
    if held_out is not None:
        summary.update(held_out.summary())
        train_cpu -= held_out.cpu_seconds
    steps = trainer.state.global_step
    summary.update(
        steps=steps,
        train_cpu_s=round(train_cpu, 1),
        cpu_s_per_step=round(train_cpu / max(steps, 1), 3),
        warm_start_s=round(warm_start_seconds, 1),
        grpo_s=round(train_seconds, 1),
        wall_time_s=round(time.perf_counter() - start, 1),
        warm_start=model_dir,
        output_dir=str(output_dir),
        curves=str(output_dir / "grpo_metrics"),
    )
    (output_dir / SUMMARY_FILENAME).write_text(json.dumps(summary, indent=2) + "\n")
    logger.info(
        "demo: accuracy %.3f -> %.3f (mean of the first and last 10%% of %d steps), format %.3f -> %.3f, %.0f s",
        summary.get("accuracy_before", float("nan")),
        summary.get("accuracy_after", float("nan")),
        steps,
        summary.get("format_before", float("nan")),
        summary.get("format_after", float("nan")),
        summary["wall_time_s"],
    )
    if held_out is not None:
        logger.info(
            "demo: held-out accuracy %.3f -> %.3f (greedy, %d problems), steps per completion %.2f -> %.2f",
            summary["eval_accuracy_before"],
            summary["eval_accuracy_after"],
            summary["eval_problems"],
            summary["steps_per_completion_before"],
            summary["steps_per_completion_after"],
        )
    return summary
