"""Dynamic sampling's pure decisions, by hand."""

import math

import pytest
import torch

from grpo_plus.sampling import (
    batch_reward_metrics,
    degenerate_flags,
    degenerate_groups,
    degenerate_step_groups,
    rows_of,
    select_groups,
)

NAN = math.nan


def test_degenerate_groups():
    rewards = torch.tensor([1.0, 1.0, 1.0, 0.0, 1.0, 0.5, 2.0, NAN, 2.0, NAN, NAN, NAN, 3.0, NAN, NAN])
    # groups of 3: all equal | varies | 2 and 2 (NaN left out) | all NaN | a single graded value
    assert degenerate_groups(rewards, 3).tolist() == [True, False, True, True, True]


def test_degenerate_step_groups():
    scores = [[1.0, 0.0], [1.0], [0.5, None], [0.5], [None], [None]]
    assert degenerate_step_groups(scores, 2) == [False, True, True]


def test_select_groups_takes_informative_groups_in_order_then_fills():
    informative = [[False, True, False], [True, False, False], [False, True, True]]
    chosen, filled = select_groups(informative, 3)
    assert chosen == [(0, 1), (1, 0), (2, 1)] and filled == 0
    chosen, filled = select_groups(informative[:2], 3)
    assert chosen == [(0, 1), (1, 0), (0, 0)] and filled == 1  # the first dropped group fills the empty slot
    with pytest.raises(ValueError, match="3 groups needed but the rounds hold only 2"):
        select_groups([[True, False]], 3)


def test_rows_of():
    assert rows_of([(0, 1), (2, 0)], 2) == [(0, 2), (0, 3), (2, 0), (2, 1)]


def test_degenerate_flags_outcome_and_process():
    rewards = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 0.5], [1.0, 0.5]])  # columns: outcome, step means
    weights = torch.tensor([2.0, 1.0])
    outcome_only = degenerate_flags(rewards[:, :1], None, weights[:1], ["outcome"], 2)
    assert outcome_only.tolist() == [True, True]
    steps = [[0.0], [1.0], [0.5], [0.5]]
    # process mode: group 0's steps differ (informative); group 1's steps and outcome are all equal
    assert degenerate_flags(rewards, steps, weights, ["outcome", "step"], 2).tolist() == [False, True]
    assert degenerate_flags(rewards, steps, weights, ["step", "step"], 2).tolist() == [False, True]


def test_batch_reward_metrics_by_hand():
    rewards = torch.tensor([[1.0, 2.0], [3.0, NAN], [5.0, 6.0], [5.0, 6.0]])
    metrics = batch_reward_metrics(rewards, torch.tensor([1.0, 0.5]), ["a", "b"], 2)
    assert metrics["rewards/a/mean"] == pytest.approx(3.5)
    assert metrics["rewards/b/mean"] == pytest.approx(14 / 3)
    weighted = [2.0, 3.0, 8.0, 8.0]
    mean = sum(weighted) / 4
    assert metrics["reward"] == pytest.approx(mean)
    assert metrics["reward_std"] == pytest.approx(math.sqrt(sum((w - mean) ** 2 for w in weighted) / 3))
    assert metrics["frac_reward_zero_std"] == 0.5
