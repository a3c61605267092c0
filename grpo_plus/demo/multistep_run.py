"""The ``multistep`` demo task: :mod:`grpo_plus.demo.multistep` chains trained with the one-step demo's recipe.

Kept apart from :mod:`grpo_plus.demo.multistep` so that the training defaults can change without invalidating the
cached warm start (whose key hashes that module's code). ``configs/demo_steps_outcome.yaml`` holds
:data:`DEFAULT_ARGS` (outcome mode); ``configs/demo_steps_process.yaml`` differs only in the reward fields.
"""

from __future__ import annotations

from typing import Any

from grpo_plus.demo import multistep
from grpo_plus.demo.task import DEFAULT_ARGS as ONE_STEP_ARGS
from grpo_plus.demo.task import DemoTask

EVAL_EVERY = 10
DEFAULT_OUTPUT_DIR = "grpo-plus-demo-multistep"

DEFAULT_ARGS: dict[str, Any] = {
    **ONE_STEP_ARGS,
    "max_steps": 100,
    "max_completion_length": 48,
    "step_separator": multistep.STEP_SEPARATOR,
    "reward_mode": "outcome",
    "reward_funcs": ["accuracy", "format"],
}


def held_out_evaluation(warm_start: multistep.MultiStepWarmStart, args):
    """The evaluation callback: the fixed held-out chains, greedy, every :data:`EVAL_EVERY` steps."""
    from grpo_plus.demo.evaluation import HeldOutEvalCallback

    return HeldOutEvalCallback.for_chains(multistep.eval_chains(warm_start), args, EVAL_EVERY)


def training_dataset(n: int, seed: int, warm_start: multistep.MultiStepWarmStart):
    """``n`` training chains from ``seed``, none of them a held-out problem."""
    held_out = [c.prompt for c in multistep.eval_chains(warm_start)]
    return multistep.build_dataset(n=n, seed=seed, config=warm_start, exclude=held_out)


TASK = DemoTask(
    name="multistep",
    default_args=DEFAULT_ARGS,
    warm_start=multistep.MultiStepWarmStart(),
    dataset=training_dataset,
    rewards=None,
    evaluation=held_out_evaluation,
    output_dir=DEFAULT_OUTPUT_DIR,
)
