"""Outcome and process advantages against hand derivations and an independent brute force."""

import math
import random

import pytest
import torch

from grpo_plus.advantages import outcome_advantages, process_advantages, segment_sums


def test_worked_example_eight_answers_four_correct():
    rewards = torch.tensor([1.0, 1, 1, 1, 0, 0, 0, 0])
    # mean 0.5; unbiased std = sqrt(8 * 0.25 / 7) = 0.5345; 0.5 / (0.5345 + 1e-4) = 0.9352
    std = math.sqrt(8 * 0.25 / 7)
    assert std == pytest.approx(0.5345, abs=1e-4)
    expected = 0.5 / (std + 1e-4)
    assert expected == pytest.approx(0.935, abs=1e-3)
    adv = outcome_advantages(rewards, num_generations=8, scale="group")
    assert torch.allclose(adv, torch.tensor([expected] * 4 + [-expected] * 4), atol=1e-6)


def test_batch_scale_uses_batch_std_with_group_mean():
    rewards = torch.tensor([1.0, 0, 0, 0, 1, 1, 1, 0])
    batch_std = math.sqrt(8 * 0.25 / 7)  # 4 ones, 4 zeros over the batch
    adv = outcome_advantages(rewards, num_generations=4, scale="batch")
    group_means = [0.25] * 4 + [0.75] * 4
    expected = torch.tensor([(r - m) / (batch_std + 1e-4) for r, m in zip(rewards.tolist(), group_means)])
    assert torch.allclose(adv, expected, atol=1e-6)
    assert adv[0].item() == pytest.approx(0.75 / (batch_std + 1e-4), abs=1e-5)


def test_none_scale_only_subtracts_the_group_mean():
    rewards = torch.tensor([3.0, 1.0, 2.0, 10.0])
    adv = outcome_advantages(rewards, num_generations=2, scale="none")
    assert torch.allclose(adv, torch.tensor([1.0, -1.0, -4.0, 4.0]))


def test_nan_rewards_are_excluded_and_get_zero():
    rewards = torch.tensor([1.0, math.nan, 0.0, 0.0])
    adv = outcome_advantages(rewards, num_generations=4, scale="group")
    # statistics over [1, 0, 0]: mean 1/3, std = sqrt(((2/3)^2 + 2 (1/3)^2) / 2) = sqrt(1/3)
    std = math.sqrt(1 / 3)
    expected = [(2 / 3) / (std + 1e-4), 0.0, (-1 / 3) / (std + 1e-4), (-1 / 3) / (std + 1e-4)]
    assert torch.allclose(adv, torch.tensor(expected), atol=1e-5)


def test_equal_rewards_give_zero_not_nan():
    for scale in ("group", "batch", "none"):
        adv = outcome_advantages(torch.tensor([0.7] * 4 + [math.nan] * 4), num_generations=4, scale=scale)
        assert torch.equal(adv, torch.zeros(8)), scale


def test_matches_trl_formula_on_random_rewards():
    from trl.trainer.utils import nanstd

    generator = torch.Generator().manual_seed(1)
    rewards = torch.rand(24, generator=generator)
    rewards[[3, 10]] = math.nan
    grouped = rewards.view(-1, 6)
    mean = torch.nanmean(grouped, dim=1).repeat_interleave(6)
    group_std = nanstd(grouped, dim=1).repeat_interleave(6)
    expected_group = torch.nan_to_num((rewards - mean) / (group_std + 1e-4), nan=0.0)
    expected_batch = torch.nan_to_num((rewards - mean) / (nanstd(rewards) + 1e-4), nan=0.0)
    assert torch.allclose(outcome_advantages(rewards, 6, "group"), expected_group, atol=1e-6)
    assert torch.allclose(outcome_advantages(rewards, 6, "batch"), expected_batch, atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown reward scaling 'std'.*group, batch, none"):
        outcome_advantages(torch.zeros(4), 2, "std")
    with pytest.raises(ValueError, match="num_generations=3"):
        outcome_advantages(torch.zeros(4), 3, "group")


# ------------------------------------------------------------------------------------------------ process


def brute_force_process(step_rewards, step_ends, g, num_tokens, scale, width, credit="sum"):
    """Independent reference: explicit group statistics and a double loop over tokens and steps."""
    n = len(step_rewards)
    out = [[0.0] * width for _ in range(n)]
    graded = lambda vals: [v for v in vals if v is not None]  # noqa: E731
    all_values = graded([v for row in step_rewards for v in row])

    def std(values):
        if len(values) < 2:
            return 0.0
        m = sum(values) / len(values)
        return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))

    for k in range(n // g):
        members = range(k * g, (k + 1) * g)
        values = graded([v for i in members for v in step_rewards[i]])
        mean = sum(values) / len(values) if values else 0.0
        divisor = {"group": std(values) + 1e-4, "batch": std(all_values) + 1e-4, "none": 1.0}[scale]
        for i in members:
            for t in range(num_tokens[i]):
                ahead = [(r - mean) / divisor for r, end in zip(step_rewards[i], step_ends[i]) if r is not None and end >= t]
                if ahead:
                    out[i][t] = sum(ahead) if credit == "sum" else min(ahead)
    return torch.tensor(out)


def test_process_hand_example():
    step_rewards = [[1.0, 0.0], [0.5], [None, 1.0], [0.0]]
    step_ends = [[1, 3], [2], [0, 1], [0]]
    adv = process_advantages(step_rewards, step_ends, 2, [4, 3, 2, 1], "group")
    # group 0 step rewards {1, 0, 0.5}: mean 0.5, unbiased std 0.5 -> ±0.5 / 0.5001
    a = 0.5 / 0.5001
    # group 1 step rewards {1, 0} (None left out): mean 0.5, std sqrt(0.5) -> ±0.5 / (0.70711 + 1e-4)
    b = 0.5 / (math.sqrt(0.5) + 1e-4)
    expected = torch.tensor(
        [
            [a - a, a - a, -a, -a],  # tokens 0-1 see both steps, tokens 2-3 only the second
            [0.0, 0.0, 0.0, 0.0],
            [b, b, 0.0, 0.0],  # the ungraded first step contributes 0
            [-b, 0.0, 0.0, 0.0],  # padding is 0
        ]
    )
    assert torch.allclose(adv, expected, atol=1e-5)


def test_process_min_hand_example():
    # the hand example above with min-form credit: token t gets the smallest normalised reward still ahead of it
    step_rewards = [[1.0, 0.0], [0.5], [None, 1.0], [0.0]]
    step_ends = [[1, 3], [2], [0, 1], [0]]
    adv = process_advantages(step_rewards, step_ends, 2, [4, 3, 2, 1], "group", credit="min")
    a = 0.5 / 0.5001
    b = 0.5 / (math.sqrt(0.5) + 1e-4)
    expected = torch.tensor(
        [
            [-a, -a, -a, -a],  # min(+a, -a) while both steps are ahead, then only the second (-a)
            [0.0, 0.0, 0.0, 0.0],
            [b, b, 0.0, 0.0],  # the ungraded first step is skipped, not read as 0
            [-b, 0.0, 0.0, 0.0],
        ]
    )
    assert torch.allclose(adv, expected, atol=1e-5)


def test_process_min_several_steps_in_one_token_and_no_graded_step():
    # steps 0 and 1 end inside token 1; the row's only graded steps are there; token 2's step is ungraded
    step_rewards = [[1.0, 0.0, None], [0.5, 0.5]]
    adv = process_advantages(step_rewards, [[1, 1, 2], [0, 1]], 2, [3, 2], "none", credit="min")
    mean = (1.0 + 0.0 + 0.5 + 0.5) / 4
    assert torch.allclose(adv, torch.tensor([[0.0 - mean, 0.0 - mean, 0.0], [0.5 - mean, 0.5 - mean, 0.0]]))


def test_process_credit_is_validated():
    with pytest.raises(ValueError, match="unknown process credit 'max'; valid choices: sum, min"):
        process_advantages([[1.0], [0.0]], [[0], [0]], 2, [1, 1], credit="max")


@pytest.mark.parametrize("credit", ["sum", "min"])
@pytest.mark.parametrize("scale", ["group", "batch", "none"])
def test_process_matches_brute_force(scale, credit):
    rng = random.Random(7)
    for _ in range(30):
        g = rng.choice([2, 3, 4])
        n = g * rng.randint(1, 4)
        num_tokens, step_rewards, step_ends = [], [], []
        for _ in range(n):
            length = rng.choice([0] + list(range(1, 13)))  # 0: an empty completion, graded but with no token
            s = rng.randint(1, 5)
            if length == 0:
                ends = [0] * s
            else:  # repeated ends: several steps end inside one token
                ends = sorted(rng.choice(range(length)) for _ in range(s - 1)) + [length - 1]
            num_tokens.append(length)
            step_ends.append(ends)
            step_rewards.append([None if rng.random() < 0.1 else rng.choice([0.0, 0.5, 1.0, rng.random()]) for _ in ends])
        width = max(num_tokens) + rng.randint(0, 3)
        adv = process_advantages(
            step_rewards, step_ends, g, torch.tensor(num_tokens), scale, total_tokens=width, credit=credit
        )
        expected = brute_force_process(step_rewards, step_ends, g, num_tokens, scale, width, credit)
        assert adv.shape == (n, width)
        assert torch.allclose(adv, expected, atol=1e-4)


def test_process_equal_step_rewards_give_zero():
    adv = process_advantages([[1.0, 1.0], [1.0], [0.3], [0.3, 0.3, 0.3]], [[0, 2], [1], [0], [0, 1, 2]], 2, [3, 2, 1, 3])
    assert torch.equal(adv, torch.zeros(4, 3))


def test_one_step_per_completion_reduces_to_outcome_formula():
    rewards = [1.0, 0.0, 0.0, 1.0, 1.0, 0.5]
    lengths = [3, 5, 2, 4, 1, 5]
    adv = process_advantages([[r] for r in rewards], [[n - 1] for n in lengths], 3, lengths, "group")
    outcome = outcome_advantages(torch.tensor(rewards), 3, "group")
    for i, n in enumerate(lengths):
        assert torch.allclose(adv[i, :n], outcome[i].expand(n), atol=1e-6)
        assert torch.all(adv[i, n:] == 0)


def test_process_errors_name_the_sample():
    with pytest.raises(ValueError, match="sample 1: 2 step rewards but 1 step ends"):
        process_advantages([[1.0], [1.0, 0.0]], [[0], [0]], 2, [1, 1])
    with pytest.raises(ValueError, match="sample 0: the last step must end at the last real token 2"):
        process_advantages([[1.0], [0.0]], [[1], [0]], 2, [3, 1])
    with pytest.raises(ValueError, match="sample 0: step ends"):
        process_advantages([[1.0, 1.0], [0.0]], [[2, 1], [0]], 2, [3, 1])
    with pytest.raises(ValueError, match="total_tokens=2 is smaller"):
        process_advantages([[1.0], [0.0]], [[2], [0]], 2, [3, 1], total_tokens=2)


def test_segment_sums():
    values = torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 0.0, 0.0, 0.0]])
    assert segment_sums(values, [[1, 3], [0]]) == [[3.0, 7.0], [5.0]]
    assert segment_sums(values, [[0, 0, 3], [0]]) == [[1.0, 0.0, 9.0], [5.0]]


@pytest.mark.parametrize("credit", ["sum", "min"])
def test_empty_completion_counts_in_statistics_without_tokens(credit):
    # group {1.0 (no tokens), 0.0}: mean 0.5, std sqrt(0.5); the empty row has nothing to credit
    adv = process_advantages([[1.0], [0.0]], [[0], [1]], 2, [0, 2], credit=credit)
    b = 0.5 / (math.sqrt(0.5) + 1e-4)
    assert torch.allclose(adv, torch.tensor([[0.0, 0.0], [-b, -b]]), atol=1e-6)
