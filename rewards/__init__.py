"""Verifiable rewards for GRPO, by name: a registry plus built-in math, format and step rewards.

Importing the package registers the built-ins::

    accuracy          outcome  math-verify correctness, hard per-sample timeout, parallel workers
    format            outcome  <think>…</think><answer>…</answer> layout (``strict=True`` by default)
    format_lenient    outcome  the same tags in order, text around them allowed, opening <think> optional
    tag_count         outcome  0.25 per tag that appears exactly once
    soft_overlong     outcome  DAPO's soft overlong punishment (needs completion_ids)
    repetition        outcome  n-gram repetition penalty
    arithmetic_steps  step     fraction of a step's arithmetic equations that are correct
    reference_steps   step     1 when a step's result is among the reference solution's results, else 0
    prm               step     process reward model (HF checkpoint) scores per step

See :mod:`rewards.registry` for the registration mechanism and :func:`with_timeout` to give any reward a hard time
limit.
"""

from . import accuracy, format, prm, steps  # noqa: F401  (registers the built-ins)
from .registry import (
    LEVELS,
    NamedReward,
    RewardInfo,
    get_reward,
    list_rewards,
    register_reward,
    resolve_reward,
    resolve_rewards,
)
from .timeout import with_timeout

__all__ = [
    "LEVELS",
    "NamedReward",
    "RewardInfo",
    "get_reward",
    "list_rewards",
    "register_reward",
    "resolve_reward",
    "resolve_rewards",
    "with_timeout",
]
