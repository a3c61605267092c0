"""The ``chains`` demo tasks (``chains``, ``chains_moderate``, ``chains_middle``): :mod:`grpo_plus.demo.chains` trained
with the demo recipe.

Kept apart from :mod:`grpo_plus.demo.chains` so that training and evaluation settings can change without
invalidating the cached warm starts (whose keys hash that module's code). ``configs/demo_chains_outcome.yaml`` holds
:data:`DEFAULT_ARGS` (outcome mode); ``configs/demo_chains_process.yaml`` differs only in the reward fields. Both train
on the sparse regime; ``--demo_task chains_moderate`` / ``chains_middle`` select the other regimes.

Held-out evaluation (:func:`held_out_evaluation`): the 256 chains of :func:`grpo_plus.demo.chains.eval_chains`, never
trained on, at steps 0, 25, 50, 75 and 100: greedy, and :data:`EVAL_SAMPLES` samples per problem at temperature 1 from
:data:`EVAL_SAMPLE_SEED` (the training RNG state restored after), graded by ``accuracy``; pass@8, policy entropy, KL
to the warm start, completion length and per-position slip rates on the samples.
"""

from __future__ import annotations

from typing import Any

from grpo_plus.demo import chains
from grpo_plus.demo.task import DEFAULT_ARGS as ONE_STEP_ARGS
from grpo_plus.demo.task import DemoTask

EVAL_EVERY = 25
EVAL_SAMPLES = 8
EVAL_SAMPLE_SEED = 1234
EVAL_PROBLEMS = chains.EVAL_SIZE  # the first n of the fixed held-out set (tests shorten it)
DEFAULT_OUTPUT_DIR = "grpo-plus-demo-chains"

DEFAULT_ARGS: dict[str, Any] = {
    **ONE_STEP_ARGS,
    "max_steps": 100,
    "max_completion_length": 72,
    "step_separator": chains.STEP_SEPARATOR,
    "reward_mode": "outcome",
    "reward_funcs": ["accuracy", "format"],
}


def held_out_evaluation(warm_start: chains.ChainsWarmStart, args):
    """The evaluation callback: the fixed held-out chains, greedy and sampled, every :data:`EVAL_EVERY` steps."""
    from grpo_plus.demo.evaluation import HeldOutEvalCallback

    held_out = chains.eval_chains(EVAL_PROBLEMS)
    return HeldOutEvalCallback.for_chains(held_out, args, EVAL_EVERY, EVAL_SAMPLES, EVAL_SAMPLE_SEED)


def training_dataset(n: int, seed: int, warm_start: chains.ChainsWarmStart):
    """``n`` training chains from ``seed``, none of them a held-out problem (the same for both regimes)."""
    return chains.build_dataset(n=n, seed=seed)


def _task(name: str, warm_start: chains.ChainsWarmStart) -> DemoTask:
    return DemoTask(
        name=name,
        default_args=DEFAULT_ARGS,
        warm_start=warm_start,
        dataset=training_dataset,
        rewards=None,
        evaluation=held_out_evaluation,
        output_dir=DEFAULT_OUTPUT_DIR,
    )


TASKS = {
    "chains": _task("chains", chains.SPARSE),
    "chains_moderate": _task("chains_moderate", chains.MODERATE),
    "chains_middle": _task("chains_middle", chains.MIDDLE),
}
