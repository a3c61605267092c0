"""grpo_plus.scoring: the scored batch the trainer carries to its advantages, with numbers worked out by hand."""

import math

import pytest
import torch

from grpo_plus.scoring import RoundScores, ScoredBatch, batch_advantages, gathered_penalties, local_advantages


def test_pick_takes_rows_across_batches_in_order():
    first = ScoredBatch(torch.tensor([[1.0], [2.0]]), [[0.1], [0.2, 0.3]], [[0], [0, 1]], [1, 2])
    second = ScoredBatch(torch.tensor([[3.0], [4.0]]), [[0.4], [None]], [[2], [0]], [3, 1])
    picked = ScoredBatch.pick([first, second], [(1, 0), (0, 1)])
    assert picked.rewards.tolist() == [[3.0], [2.0]]
    assert (picked.step_scores, picked.step_ends, picked.num_tokens) == ([[0.4], [0.2, 0.3]], [[2], [0, 1]], [3, 2])
    outcome = ScoredBatch.pick([ScoredBatch(torch.tensor([[5.0], [6.0]]))], [(0, 1)])
    assert outcome.rewards.tolist() == [[6.0]] and outcome.step_scores is None


def test_outcome_advantages_with_kl_in_the_reward():
    """Rewards 1, 3 | 2, 2 (G = 2), penalties Σ kl = 0, 2 | 0, 0, β = 0.5: penalised 1, 2 | 2, 2. Group 1: mean 1.5,
    unbiased std √0.5, advantages ∓0.5 / (√0.5 + 1e-4); group 2: 0."""
    scored = ScoredBatch(torch.tensor([[1.0], [3.0], [2.0], [2.0]]))
    advantages, metrics, shown = batch_advantages(
        scored, [0.0, 2.0, 0.0, 0.0], 0.5, torch.tensor([1.0]), ["outcome"], 2, "group", "min"
    )
    a = 0.5 / (math.sqrt(0.5) + 1e-4)
    assert advantages.tolist() == pytest.approx([-a, a, 0.0, 0.0], abs=1e-6)
    assert metrics == pytest.approx({"kl_penalty": 0.25, "reward_with_kl_penalty": 1.75})
    assert shown is advantages


def test_process_advantages_and_the_shown_mean():
    """Two completions (G = 2) of one step each, step scores 1 and 0, ending at tokens 1 and 0: normalised ±0.5 / (√0.5 +
    1e-4) on every real token, 0 on padding; the table shows the mean over real tokens (the same value here)."""
    scored = ScoredBatch(torch.tensor([[math.nan], [math.nan]]), [[1.0], [0.0]], [[1], [0]], [2, 1])
    advantages, metrics, shown = batch_advantages(scored, None, 0.5, torch.tensor([1.0]), ["step"], 2, "group", "sum")
    a = 0.5 / (math.sqrt(0.5) + 1e-4)
    assert torch.allclose(advantages, torch.tensor([[a, a], [-a, 0.0]]), atol=1e-6)
    assert shown.tolist() == pytest.approx([a, -a], abs=1e-6)
    assert metrics["steps/per_completion"] == 1.0


def test_gathered_penalties_place_each_row_by_its_global_index():
    token_kl = torch.tensor([[1.0, 2.0, 0.0], [0.5, 0.5, 0.0]])  # local rows 1 and 0 of the global batch
    rows = torch.tensor([1, 0])
    assert gathered_penalties(ScoredBatch(torch.zeros(2, 1)), token_kl, rows) == [1.0, 3.0]
    process = ScoredBatch(torch.zeros(2, 1), [[0.0, 0.0], [0.0, 0.0]], [[0, 2], [1, 2]], [3, 3])
    # global row 1 (kl 1, 2, 0) ends its steps at 1, 2: sums 3, 0; global row 0 (0.5, 0.5, 0) at 0, 2: 0.5, 0.5
    assert gathered_penalties(process, token_kl, rows) == [[0.5, 0.5], [3.0, 0.0]]


def test_local_advantages_pad_or_cut_to_the_local_width():
    global_advantages = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert local_advantages(global_advantages, torch.tensor([2, 0]), 4).tolist() == [[5, 6, 0, 0], [1, 2, 0, 0]]
    assert local_advantages(global_advantages, torch.tensor([1]), 1).tolist() == [[3.0]]
    assert local_advantages(torch.tensor([0.5, -0.5]), torch.tensor([1]), 7).tolist() == [-0.5]


def test_round_scores_split_once_and_gather_the_weighted_step_scores():
    class Tokenizer:  # one character per token id
        def decode(self, ids, skip_special_tokens=True):
            return "".join(chr(i) for i in ids)

        def batch_decode(self, sequences, skip_special_tokens=True):
            return [self.decode(s) for s in sequences]

    round_scores = RoundScores(rewards=torch.tensor([[0.0, 1.0]]))
    ids = [[ord(c) for c in "ab cd"]]
    steps, ends = round_scores.steps(Tokenizer(), " ", ids, ["ab cd"])
    assert (steps, ends) == ([["ab ", "cd"]], [[2, 4]])
    assert round_scores.steps(Tokenizer(), " ", ids, ["ab cd"])[1] is ends  # the same batch is split once
    round_scores.store("a", [[1.0, None]])
    round_scores.store("b", [[0.5, None]])
    scored = round_scores.gathered(["a", "b"], [2.0, 1.0])
    assert (scored.step_scores, scored.step_ends, scored.num_tokens) == ([[2.5, None]], [[2, 4]], [5])
    assert round_scores.gathered().step_scores is None
