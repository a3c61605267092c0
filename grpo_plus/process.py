"""Process mode around the trainer: the step-reward adapter, weighted step scores, and the PRM-hacking guards.

The guards watch the two signatures of a policy that games step rewards (Cheng et al. 2025, arXiv 2504.15275,
§3: sum-form credit "collapses training even at the beginning"): farming many cheap high-reward steps (more steps,
fewer tokens per step) or avoiding the step separator (fewer steps, more single-step completions).
:func:`step_metrics` gives the per-batch numbers the trainer logs; :class:`SeparatorMonitor` warns when steps per
completion fall below half of their starting value or the single-step fraction doubles.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from grpo_plus.advantages import outcome_advantages, process_advantages

logger = logging.getLogger(__name__)

Scores = list[list[float | None]]


class StepReward:
    """Adapts a step-level reward to TRL's reward-function call.

    TRL calls it like any reward function; it asks ``split`` for the batch's steps (split once per batch, shared by
    all step rewards), calls the (guarded, hence validated) step reward with ``steps=``, hands the per-step scores
    to ``store`` and returns to TRL the mean step score of each completion (what TRL logs as
    ``rewards/<name>/mean``).
    """

    reward_level = "step"

    def __init__(self, func: Callable, name: str, split: Callable, store: Callable[[str, Scores], None]):
        self.func = func
        self.__name__ = name
        self._split = split
        self._store = store

    def __call__(self, prompts=None, completions=None, completion_ids=None, **kwargs) -> list[float | None]:
        steps, _ = self._split(completion_ids, completions)
        scores = self.func(steps=steps, prompts=prompts, completions=completions, completion_ids=completion_ids, **kwargs)
        self._store(self.__name__, scores)
        return [_mean([s for s in row if s is not None]) for row in scores]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def combine_step_scores(per_func: Sequence[Scores], weights: Sequence[float]) -> Scores:
    """Weighted sum over step rewards, per step; a step no function graded stays None (as TRL does per row)."""
    combined = []
    for rows in zip(*per_func):
        combined_row = []
        for step_scores in zip(*rows):
            graded = [w * s for w, s in zip(weights, step_scores) if s is not None]
            combined_row.append(sum(graded) if graded else None)
        combined.append(combined_row)
    return combined


def step_metrics(scores: Scores, step_ends: Sequence[Sequence[int]], num_tokens: Sequence[int]) -> dict[str, float]:
    """The guard metrics of one (global) batch of N completions.

    Args:
        scores: N lists of S_i combined step rewards (None = ungraded).
        step_ends: N lists of S_i step-end token indices.
        num_tokens: N real-token counts.

    Returns:
        ``steps/per_completion`` (mean S_i), ``steps/tokens_per_step`` (mean over all steps of their token counts)
        and ``steps/max_tokens_per_step``, ``steps/no_separator_frac`` (completions that are a single step),
        ``steps/reward_mean`` / ``steps/reward_std`` over graded steps and ``steps/reward_min_mean`` (mean over
        completions with a graded step of their lowest step reward). NaN where nothing is defined.
    """
    n = len(scores)
    lengths: list[int] = []
    for ends, tokens in zip(step_ends, num_tokens):
        previous = -1
        for end in ends:
            lengths.append(min(end, tokens - 1) - previous if tokens > 0 else 0)
            previous = max(previous, min(end, tokens - 1))
    graded = [s for row in scores for s in row if s is not None]
    minima = [min(g) for g in ([s for s in row if s is not None] for row in scores) if g]
    mean = _mean(graded)
    std = (
        math.sqrt(sum((s - mean) ** 2 for s in graded) / (len(graded) - 1)) if len(graded) > 1 else math.nan
    )
    return {
        "steps/per_completion": sum(len(row) for row in scores) / n if n else math.nan,
        "steps/tokens_per_step": _mean(lengths) if lengths else math.nan,
        "steps/max_tokens_per_step": float(max(lengths)) if lengths else math.nan,
        "steps/no_separator_frac": sum(len(row) == 1 for row in scores) / n if n else math.nan,
        "steps/reward_mean": mean if mean is not None else math.nan,
        "steps/reward_std": std,
        "steps/reward_min_mean": _mean(minima) if minima else math.nan,
    }


def batch_process_advantages(
    step_scores: Scores,
    step_ends: Sequence[Sequence[int]],
    num_tokens: Sequence[int],
    penalties: Sequence[Sequence[float]] | None,
    beta: float,
    outcome_rewards: torch.Tensor | None,
    num_generations: int,
    scale: str,
    credit: str,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Token advantages of a gathered global batch in process mode, and its guard and advantage metrics.

    Step advantages (:func:`grpo_plus.advantages.process_advantages` with ``credit``) plus, on every real token, the
    outcome advantage of the outcome rewards (DeepSeekMath §4.1.3 with outcome rewards beside the step rewards).

    Args:
        step_scores: N lists of S_i combined step scores (None = ungraded).
        step_ends: N lists of S_i step-end token indices. num_tokens: N real-token counts.
        penalties: N lists of per-step KL sums (kl_in_reward: each step reward loses ``beta`` × its sum), or None.
        beta: the KL coefficient of the penalties.
        outcome_rewards: (N,) weighted outcome rewards (NaN = ungraded), or None without outcome rewards.
        num_generations: G. scale: reward scaling. credit: ``"sum"`` or ``"min"``.

    Returns:
        ``(advantages, metrics)``: (N, T) advantages, T = max tokens, 0 on padding; :func:`step_metrics` of the
        (penalised) step scores and ``advantages/mean|std|min|max`` over the real tokens.
    """
    scores = step_scores
    if penalties is not None:
        scores = [[None if s is None else s - beta * p for s, p in zip(row, pen)] for row, pen in zip(scores, penalties)]
    advantages = process_advantages(scores, step_ends, num_generations, num_tokens, scale, credit=credit)
    real = torch.arange(advantages.size(1)).unsqueeze(0) < torch.tensor(num_tokens).unsqueeze(1)
    if outcome_rewards is not None:
        advantages = advantages + outcome_advantages(outcome_rewards.cpu(), num_generations, scale).unsqueeze(1) * real
    metrics = step_metrics(scores, step_ends, num_tokens)
    values = advantages[real]
    if values.numel():
        metrics.update({
            "advantages/mean": values.mean().item(),
            "advantages/std": values.std().item() if values.numel() > 1 else 0.0,
            "advantages/min": values.min().item(),
            "advantages/max": values.max().item(),
        })  # fmt: skip
    return advantages, metrics


class SeparatorMonitor:
    """Warns when the policy stops emitting step separators, or starts farming steps.

    The baseline is the mean of the first ``baseline_steps`` logged values. The avoidance alarm holds while the steps
    per completion are below ``ratio`` × their baseline, or the single-step fraction is at least ``1 / ratio`` × its
    baseline and ``min_frac_rise`` above it (so a baseline of 0 does not alarm on one single-step completion). The
    farming alarm holds while the steps per completion are at least ``rise`` × their baseline: many cheap steps, what
    a step reward that pays for any step invites under sum-form credit (PURE, arXiv 2504.15275). Each warns when it
    first holds, then every ``repeat_every`` calls while it keeps holding.
    """

    def __init__(
        self,
        baseline_steps: int = 5,
        ratio: float = 0.5,
        min_frac_rise: float = 0.1,
        repeat_every: int = 50,
        rise: float = 1.25,
    ):
        self.baseline_steps = baseline_steps
        self.ratio = ratio
        self.rise = rise
        self.min_frac_rise = min_frac_rise
        self.repeat_every = repeat_every
        self._history: list[tuple[float, float]] = []
        self._since_warning: int | None = None

    def baseline(self) -> tuple[float, float] | None:
        if len(self._history) < self.baseline_steps:
            return None
        first = self._history[: self.baseline_steps]
        return sum(h[0] for h in first) / len(first), sum(h[1] for h in first) / len(first)

    def update(self, steps_per_completion: float, single_step_frac: float) -> str | None:
        """Record one logged batch; returns the warning text when one is due (and logs it), else None."""
        if math.isnan(steps_per_completion) or math.isnan(single_step_frac):
            return None
        self._history.append((steps_per_completion, single_step_frac))
        base = self.baseline()
        if base is None or len(self._history) <= self.baseline_steps:
            return None
        base_steps, base_frac = base
        fewer_steps = steps_per_completion < self.ratio * base_steps
        more_single = single_step_frac >= base_frac / self.ratio and single_step_frac >= base_frac + self.min_frac_rise
        more_steps = steps_per_completion >= self.rise * base_steps
        if not (fewer_steps or more_single or more_steps):
            self._since_warning = None
            return None
        if self._since_warning is not None and self._since_warning + 1 < self.repeat_every:
            self._since_warning += 1
            return None
        self._since_warning = 0
        what = "farming steps" if more_steps else "avoiding the step separator"
        message = (
            f"process mode: the policy may be {what}: {steps_per_completion:.2f} steps per "
            f"completion (first {self.baseline_steps} logged steps: {base_steps:.2f}), {single_step_frac:.0%} "
            f"single-step completions (first steps: {base_frac:.0%}). This is how a noisy or gameable step reward gets "
            "gamed (sum form: arXiv 2504.15275; min form: docs/process_rewards.md); keep an outcome reward beside the "
            "step rewards and consider the other process_credit"
        )
        logger.warning(message)
        return message

    def state_dict(self) -> dict[str, Any]:
        return {"history": list(self._history), "since_warning": self._since_warning}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._history = [tuple(h) for h in state.get("history", [])]
        self._since_warning = state.get("since_warning")
