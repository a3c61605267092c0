"""Group-relative advantages for GRPO: outcome (one reward per completion) and process (one reward per step).

Pure functions: tensors and lists in, tensors out. Notation: N completions (prompts × G), G = num_generations,
consecutive runs of G completions belong to one prompt, T completion tokens, S_i steps of completion i.

Reference: Shao et al., DeepSeekMath, arXiv 2402.03300, §4.1.2 (outcome supervision) and §4.1.3 (process
supervision). Scaling options follow TRL's ``scale_rewards``: the group mean is always subtracted; the result is
divided by the std of the group (``"group"``), of the whole batch (``"batch"``) or not at all (``"none"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

SCALE_CHOICES = ("group", "batch", "none")
CREDIT_CHOICES = ("sum", "min")
EPSILON = 1e-4  # TRL's epsilon in (r - mean) / (std + eps), so the default path reproduces TRL exactly


def _check_scale(scale: str) -> None:
    if scale not in SCALE_CHOICES:
        raise ValueError(f"unknown reward scaling {scale!r}; valid choices: {', '.join(SCALE_CHOICES)}")


def _check_groups(n: int, num_generations: int) -> None:
    if num_generations < 1 or n % num_generations != 0:
        raise ValueError(
            f"num_generations={num_generations} must be ≥ 1 and divide the number of completions ({n})"
        )


def nan_std(x: torch.Tensor, dim: int | None = None, keepdim: bool = False) -> torch.Tensor:
    """Unbiased (Bessel-corrected) standard deviation ignoring NaN entries.

    Args:
        x: any shape. dim: reduce along this dimension (all elements if None).

    Returns:
        The std: NaN where no value is finite, 0 where exactly one is (TRL returns NaN there; both give that
        completion advantage 0, since its reward equals the mean).
    """
    valid = ~torch.isnan(x)
    count = valid.sum(dim=dim, keepdim=True) if dim is not None else valid.sum()
    mean = torch.nanmean(x, dim=dim, keepdim=True) if dim is not None else torch.nanmean(x)
    sq = torch.where(valid, (x - mean) ** 2, torch.zeros_like(x))
    total = sq.sum(dim=dim, keepdim=True) if dim is not None else sq.sum()
    var = total / (count - 1).clamp(min=1)
    std = torch.where(count > 0, var.sqrt(), torch.full_like(var, math.nan))
    if dim is not None and not keepdim:
        std = std.squeeze(dim)
    return std


def weighted_rewards(rewards_per_func: torch.Tensor, weights: torch.Tensor, columns: Sequence[int]) -> torch.Tensor | None:
    """Weighted sum of some reward columns, as TRL sums its rewards (``sum_then_normalize``).

    Args:
        rewards_per_func: (N, F) one column per reward function; NaN = that function did not grade the row.
        weights: (F,) reward weights.
        columns: the columns to sum.

    Returns:
        (N,) Σ_f w_f·r_f over the graded columns, NaN where none of them graded the row; None without columns.
    """
    if not columns:
        return None
    selected = rewards_per_func[:, list(columns)]
    rewards = (selected * weights.to(selected.device)[list(columns)]).nansum(dim=1)
    rewards[torch.isnan(selected).all(dim=1)] = torch.nan
    return rewards


def outcome_advantages(rewards: torch.Tensor, num_generations: int, scale: str = "group") -> torch.Tensor:
    """GRPO outcome advantages, DeepSeekMath §4.1.2: Â_i = (r_i − mean(r_group)) / std(...).

    Args:
        rewards: (N,) one scalar reward per completion; NaN marks a completion no reward could grade.
        num_generations: G; rows ``[k*G, (k+1)*G)`` form group k.
        scale: ``"group"`` (divide by the group std), ``"batch"`` (by the std of all N rewards) or ``"none"``.

    Returns:
        (N,) advantages. NaN rewards are left out of the means and stds and get advantage 0; a group whose
        rewards are all equal gets 0 (the std is 0 and ε = 1e-4 keeps the division finite).
    """
    _check_scale(scale)
    n = rewards.numel()
    _check_groups(n, num_generations)
    grouped = rewards.view(-1, num_generations)
    mean = torch.nanmean(grouped, dim=1, keepdim=True)
    advantages = grouped - mean
    if scale == "group":
        std = nan_std(grouped, dim=1, keepdim=True) if num_generations > 1 else torch.zeros_like(mean)
        advantages = advantages / (std + EPSILON)
    elif scale == "batch":
        std = nan_std(rewards) if n > 1 else torch.zeros((), dtype=rewards.dtype, device=rewards.device)
        advantages = advantages / (std + EPSILON)
    return torch.nan_to_num(advantages.reshape(-1), nan=0.0)


def _as_float(value) -> float:
    return math.nan if value is None else float(value)


def process_advantages(
    step_rewards: Sequence[Sequence[float | None]],
    step_ends: Sequence[Sequence[int]],
    num_generations: int,
    num_tokens: torch.Tensor | Sequence[int],
    scale: str = "group",
    total_tokens: int | None = None,
    credit: str = "sum",
) -> torch.Tensor:
    """Process-supervision advantages: DeepSeekMath §4.1.3 (``credit="sum"``) or min-form (``credit="min"``).

    Each step reward is normalised with the statistics of all step rewards of its group,
    r̃_ij = (r_ij − mean(R_g)) / std(R_g). The advantage of token t is then built from the normalised rewards of the
    steps that end at or after t:

    - ``"sum"`` (Shao et al., DeepSeekMath, arXiv 2402.03300, §4.1.3): Â_{i,t} = Σ_{j : end_ij ≥ t} r̃_ij.
    - ``"min"`` (Cheng et al., "Stop Summation: Min-Form Credit Assignment Is All Process Reward Model Needs for
      Reasoning", arXiv 2504.15275): Â_{i,t} = min_{j : end_ij ≥ t} r̃_ij — the value of a position is the worst
      step still ahead of it, so a policy cannot raise it by adding cheap high-scoring steps.

    Relation to PURE's implementation (CJReinforce/PURE, ``turn_process_reward_logits_to_reward``): PURE approximates
    the minimum with softmin weights over *all* steps of a completion, w_j = softmax_j(−r_j / τ) with τ = 0.1, puts
    w_j·r_j at step j's last token, subtracts an RLOO baseline and sums the future of that (a return). As τ → 0 its
    first-token value is min_j r_j, the tokens up to the worst step share it, and the tokens after the worst step get
    about 0. Here the minimum is exact and taken over the steps still ahead of each token, after the group
    normalisation; before the worst step the two agree (up to the softmin's smoothing and the order of
    normalisation and weighting), after it this keeps grading the remaining steps instead of giving them 0.

    Ungraded steps are skipped in both forms; a token with no graded step at or after it gets 0.

    Args:
        step_rewards: N lists; ``step_rewards[i]`` holds S_i rewards (None or NaN = ungraded: left out of the
            statistics, contributes 0).
        step_ends: N lists; ``step_ends[i][j]`` is the index of the completion token where step j ends
            (non-decreasing; the last one is the last real token, ``num_tokens[i] - 1``; ignored for a completion
            with no tokens, whose step rewards still count in the group statistics).
        num_generations: G; completions ``[k*G, (k+1)*G)`` form group k.
        num_tokens: (N,) real (non-padding) tokens per completion.
        scale: ``"group"`` (mean and std of the group's step rewards), ``"batch"`` (group mean, std of all step
            rewards in the batch) or ``"none"`` (group mean only).
        total_tokens: T, the number of columns (≥ max(num_tokens)); defaults to max(num_tokens).
        credit: ``"sum"`` or ``"min"`` (above).

    Returns:
        (N, T) float32 advantages, 0 on padding tokens (t ≥ num_tokens[i]).
    """
    _check_scale(scale)
    if credit not in CREDIT_CHOICES:
        raise ValueError(f"unknown process credit {credit!r}; valid choices: {', '.join(CREDIT_CHOICES)}")
    n = len(step_rewards)
    _check_groups(n, num_generations)
    if len(step_ends) != n:
        raise ValueError(f"step_ends has {len(step_ends)} rows but step_rewards has {n}")
    lengths = torch.as_tensor(num_tokens, dtype=torch.long).reshape(-1).cpu()
    if lengths.numel() != n:
        raise ValueError(f"num_tokens has {lengths.numel()} entries but step_rewards has {n}")
    width = int(lengths.max().item()) if n else 0
    if total_tokens is not None:
        if total_tokens < width:
            raise ValueError(f"total_tokens={total_tokens} is smaller than max(num_tokens)={width}")
        width = total_tokens

    rows, cols, values = [], [], []
    for i, (rewards_i, ends_i) in enumerate(zip(step_rewards, step_ends)):
        if len(rewards_i) != len(ends_i):
            raise ValueError(f"sample {i}: {len(rewards_i)} step rewards but {len(ends_i)} step ends")
        length = int(lengths[i])
        if length == 0:  # an empty completion: its step rewards count in the statistics, it has no token to credit
            ends_i = [0] * len(ends_i)
        previous = -1
        for end in ends_i:
            if end < previous or end >= max(length, 1):
                raise ValueError(
                    f"sample {i}: step ends {list(ends_i)} must be non-decreasing token indices below "
                    f"num_tokens={length}"
                )
            previous = end
        if length > 0 and ends_i and ends_i[-1] != length - 1:
            raise ValueError(
                f"sample {i}: the last step must end at the last real token {length - 1}, got {ends_i[-1]}"
            )
        rows.extend([i] * len(ends_i))
        cols.extend(int(e) for e in ends_i)
        values.extend(_as_float(r) for r in rewards_i)

    flat = torch.tensor(values, dtype=torch.float32)
    group = torch.tensor(rows, dtype=torch.long) // num_generations
    num_groups = n // num_generations
    valid = ~torch.isnan(flat)
    zeros = torch.zeros(num_groups, dtype=torch.float32)
    count = zeros.index_add(0, group, valid.float())
    total = zeros.index_add(0, group, torch.where(valid, flat, 0.0))
    mean = total / count.clamp(min=1)
    normalised = flat - mean[group]
    if scale == "group":
        sq = torch.where(valid, normalised**2, 0.0)
        std = (zeros.index_add(0, group, sq) / (count - 1).clamp(min=1)).sqrt()
        normalised = normalised / (std[group] + EPSILON)
    elif scale == "batch":
        std = nan_std(flat) if int(valid.sum()) > 1 else torch.zeros(())
        normalised = normalised / (std + EPSILON)
    normalised = torch.where(valid, normalised, 0.0)

    if credit == "sum":
        at_end = torch.zeros(n, max(width, 1), dtype=torch.float32)
        if flat.numel():
            at_end.index_put_((torch.tensor(rows), torch.tensor(cols)), normalised, accumulate=True)
        advantages = at_end[:, :width].flip(1).cumsum(1).flip(1)
    else:
        at_end = torch.full((n, max(width, 1)), math.inf, dtype=torch.float32)
        if flat.numel():
            graded = valid.nonzero().squeeze(1)
            index = torch.tensor(rows)[graded] * at_end.size(1) + torch.tensor(cols)[graded]
            at_end.view(-1).scatter_reduce_(0, index, normalised[graded], reduce="amin")
        future_min = at_end[:, :width].flip(1).cummin(1).values.flip(1)
        advantages = torch.where(torch.isinf(future_min), 0.0, future_min)
    padding = torch.arange(width).unsqueeze(0) >= lengths.unsqueeze(1)
    return advantages.masked_fill(padding, 0.0)


def segment_sums(per_token: torch.Tensor, step_ends: Sequence[Sequence[int]]) -> list[list[float]]:
    """Sum a per-token quantity over the tokens of each step: step j of completion i covers tokens
    ``(step_ends[i][j-1], step_ends[i][j]]`` (the first step starts at token 0).

    Args:
        per_token: (N, T) values, already zero on padding (e.g. masked per-token KL).
        step_ends: N lists of non-decreasing token indices.

    Returns:
        N lists of S_i floats.
    """
    cumulative = per_token.detach().float().cumsum(dim=1).cpu()
    sums = []
    for i, ends in enumerate(step_ends):
        row = cumulative[i]
        previous = 0.0
        sums_i = []
        for end in ends:
            value = float(row[end])
            sums_i.append(value - previous)
            previous = value
        sums.append(sums_i)
    return sums
