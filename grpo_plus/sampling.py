"""Dynamic sampling (DAPO, Yu et al. 2025, arXiv 2503.14476, §3.2): which groups of a generation batch to keep.

A group whose G completions all score alike has advantage 0 for every completion: it adds no gradient, only
dilutes the batch. Dynamic sampling drops such groups and generates more prompts until the batch is full of
informative groups. These are the pure decisions; :mod:`grpo_plus.dynamic_sampling` runs the rounds.

Notation: N completions of a round's global batch, G = num_generations, N / G groups; group k holds rows
``[k*G, (k+1)*G)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from grpo_plus.advantages import nan_std, weighted_rewards


def degenerate_groups(rewards: torch.Tensor, num_generations: int) -> torch.Tensor:
    """Groups whose rewards carry no signal: std 0 over the graded completions (TRL's ``frac_reward_zero_std``).

    Args:
        rewards: (N,) weighted sum of the rewards per completion; NaN = no reward graded it.
        num_generations: G.

    Returns:
        (N / G,) bool: True for a group whose graded rewards are all equal (std ≈ 0, as TRL's ``torch.isclose``
        test) or that has fewer than two graded completions.
    """
    grouped = rewards.reshape(-1, num_generations)
    std = nan_std(grouped, dim=1)
    graded = (~torch.isnan(grouped)).sum(dim=1)
    return torch.isclose(torch.nan_to_num(std, nan=0.0), torch.zeros_like(std)) | (graded < 2)


def degenerate_step_groups(step_scores: Sequence[Sequence[float | None]], num_generations: int) -> list[bool]:
    """Process mode: groups whose graded step scores are all one value (their step advantages are all 0).

    Args:
        step_scores: N lists of combined step scores (None = ungraded).
        num_generations: G.

    Returns:
        N / G bools: True when the group's graded step scores take at most one distinct value.
    """
    flags = []
    for start in range(0, len(step_scores), num_generations):
        values = {float(s) for row in step_scores[start : start + num_generations] for s in row if s is not None}
        flags.append(len(values) <= 1)
    return flags


def select_groups(informative: Sequence[Sequence[bool]], num_groups: int) -> tuple[list[tuple[int, int]], int]:
    """The groups of the final batch, over the rounds generated so far.

    Informative groups are taken in the order they were generated (round by round, group by group) until
    ``num_groups`` are chosen; slots still empty are filled with dropped groups in the same order (they have zero
    advantage: they keep the batch's shape and add no gradient).

    Args:
        informative: per round, one bool per group (True = keep).
        num_groups: groups in the generation batch.

    Returns:
        ``(chosen, filled)``: ``num_groups`` (round, group) pairs, informative ones first, and how many of them are
        fillers.
    """
    kept = [(r, g) for r, flags in enumerate(informative) for g, ok in enumerate(flags) if ok]
    dropped = [(r, g) for r, flags in enumerate(informative) for g, ok in enumerate(flags) if not ok]
    chosen = kept[:num_groups]
    filled = max(0, num_groups - len(chosen))
    if filled > len(dropped):
        raise ValueError(f"{num_groups} groups needed but the rounds hold only {len(kept) + len(dropped)}")
    return chosen + dropped[:filled], filled


def rows_of(groups: Sequence[tuple[int, int]], num_generations: int) -> list[tuple[int, int]]:
    """(round, row) pairs of the chosen groups' completions, in order: G consecutive rows per group."""
    return [(r, g * num_generations + j) for r, g in groups for j in range(num_generations)]


def degenerate_flags(
    rewards_per_func: torch.Tensor,
    step_scores: Sequence[Sequence[float | None]] | None,
    weights: torch.Tensor,
    levels: Sequence[str],
    num_generations: int,
) -> torch.Tensor:
    """(N / G,) bool: the groups of a scored round that give no gradient.

    Outcome rewards: :func:`degenerate_groups` of their weighted sum. Process mode (``step_scores`` given): degenerate
    only if the step scores are degenerate too. With step rewards only, the step scores decide alone.

    Args:
        rewards_per_func: (N, F) reward matrix of the global batch.
        step_scores: process mode: N lists of combined step scores (None = ungraded); None in outcome mode.
        weights: (F,) reward weights. levels: F reward levels (``"outcome"`` | ``"step"``).
        num_generations: G.
    """
    outcome = [i for i, level in enumerate(levels) if level == "outcome"]
    rewards = weighted_rewards(rewards_per_func, weights, outcome)
    if rewards is not None:
        flags = degenerate_groups(rewards.cpu(), num_generations)
    else:
        flags = torch.ones(rewards_per_func.size(0) // num_generations, dtype=torch.bool)
    if step_scores is not None:
        flags = flags & torch.tensor(degenerate_step_groups(step_scores, num_generations), dtype=torch.bool)
    return flags


def batch_reward_metrics(
    rewards_per_func: torch.Tensor, weights: torch.Tensor, names: Sequence[str], num_generations: int
) -> dict[str, float]:
    """TRL's reward metrics of a batch (``rewards/<name>/mean|std``, ``reward``, ``reward_std``,
    ``frac_reward_zero_std``), for the batch dynamic sampling trains on.

    Args:
        rewards_per_func: (N, F) reward matrix of the global batch. weights: (F,). names: F reward names.
        num_generations: G.
    """
    metrics = {}
    for i, name in enumerate(names):
        column = rewards_per_func[:, i]
        metrics[f"rewards/{name}/mean"] = torch.nanmean(column).item()
        metrics[f"rewards/{name}/std"] = nan_std(column).item()
    rewards = weighted_rewards(rewards_per_func, weights, range(len(names)))
    metrics["reward"] = torch.nanmean(rewards).item()
    metrics["reward_std"] = nan_std(rewards).item()
    metrics["frac_reward_zero_std"] = degenerate_groups(rewards.cpu(), num_generations).float().mean().item()
    return metrics
