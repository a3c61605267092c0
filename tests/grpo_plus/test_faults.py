"""Faults that must not kill or corrupt training, end to end through GRPOPlusTrainer (one step on the tiny model).

Completions are fixed texts (FixedCompletions), so each fault sits at a known sample index. docs/faults.md lists
every case and the message the user gets.
"""

from __future__ import annotations

import logging
import math
import time

import pytest
import torch
from datasets import Dataset

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.guard import RewardError, _Guard
from rewards import with_timeout
from tests.grpo_plus.fault_rewards import sleepy_length
from tests.tiny_run import tiny_run

# 8 completions per step (2 prompts x 4 generations); (text, ends with EOS)
TEXTS = [
    ("<think>2+2</think><answer>4</answer>", True),  # 15 tokens + EOS
    ("", True),  # empty: EOS right away
    ("The answer is 5", True),
    ("1 + 1 = 2 and then it g", False),  # cut at max_completion_length (16 tokens), no EOS
    ("3 + 3 = 6\n\nso 6", True),
    ("slow", True),
    ("7", True),
    ("<answer>5</answer>", True),
]
EMPTY, TRUNCATED, SLOW = 1, 3, 5
MAX_LENGTH = 16


class FixedCompletions(GRPOPlusTrainer):
    """Replaces the sampled completions with TEXTS (in order), with or without EOS."""

    def _generate(self, prompts):
        result = list(super()._generate(prompts))
        tokenizer = self.processing_class
        texts = [TEXTS[i % len(TEXTS)] for i in range(len(prompts))]
        ids = [tokenizer(t, add_special_tokens=False)["input_ids"] + ([tokenizer.eos_token_id] if eos else []) for t, eos in texts]
        assert [len(i) for i in ids][: len(TEXTS)] == [16, 1, 6, 16, 14, 4, 2, 8]  # the trainer's own tokenizer
        result[1], result[3], result[4] = ids, [t for t, _ in texts], None
        return tuple(result)


def inverse_length(completions, **kwargs):
    return [1.0 / len(c) for c in completions]


def position_weighted_steps(steps, **kwargs):
    return [[(k + 1) * len(step) / 4 for k, step in enumerate(row)] for row in steps]


position_weighted_steps.reward_level = "step"


def _is_guarded(func) -> bool:
    return isinstance(func, _Guard) or isinstance(getattr(func, "func", None), _Guard)


def run(model_dir, dataset, tmp_path, rewards, train=True, **overrides):
    """One training step with FixedCompletions; returns the trainer and the reward matrix of that step."""
    args = GRPOPlusConfig(**tiny_run(tmp_path / "out", max_completion_length=MAX_LENGTH, max_steps=1, **overrides))
    trainer = FixedCompletions(model_dir, reward_funcs=rewards, args=args, train_dataset=dataset)
    captured = []
    calculate = trainer._calculate_rewards

    def capture(*a, **kw):
        captured.append(calculate(*a, **kw).detach().clone())
        return captured[-1]

    trainer._calculate_rewards = capture
    if train:
        trainer.train()
    trainer.captured = captured
    return trainer


def finished(trainer) -> bool:
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return trainer.state.global_step == 1 and len(losses) == 1 and math.isfinite(losses[0])


def test_trainer_guards_every_callable_reward(tiny_model_dir, tiny_dataset, tmp_path):
    trainer = run(
        tiny_model_dir, tiny_dataset, tmp_path, [position_weighted_steps, "format"], train=False,
        reward_mode="process", reward_errors="none",
    )  # fmt: skip
    assert [f.__name__ for f in trainer.reward_funcs] == ["position_weighted_steps", "format"]
    assert all(_is_guarded(f) for f in trainer.reward_funcs)
    guards = [f if isinstance(f, _Guard) else f.func for f in trainer.reward_funcs]
    assert [g.on_error for g in guards] == ["none", "none"]
    assert [g.reward_level for g in guards] == ["step", "outcome"]


# ------------------------------------------------------------------------------------------------ rewards that fail
def test_reward_that_raises_stops_training_with_its_name_sample_and_cause(tiny_model_dir, tiny_dataset, tmp_path):
    with pytest.raises(RewardError) as info:
        run(tiny_model_dir, tiny_dataset, tmp_path, [inverse_length, "format"])
    assert str(info.value) == (
        f"reward 'inverse_length', sample {EMPTY}: raised ZeroDivisionError: float division by zero (completion: '')"
    )
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_reward_that_raises_gives_none_under_reward_errors_none(tiny_model_dir, tiny_dataset, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="grpo_plus.guard"):
        trainer = run(tiny_model_dir, tiny_dataset, tmp_path, [inverse_length, "format"], reward_errors="none")
    assert finished(trainer)
    rewards = trainer.captured[0]
    expected = [math.nan if not text else 1.0 / len(text) for text, _ in TEXTS]
    torch.testing.assert_close(rewards[:, 0], torch.tensor(expected), equal_nan=True)
    assert "reward 'inverse_length' raised on 1 of 8 samples (indices [1]" in caplog.text


@pytest.mark.parametrize("reward_errors", ["raise", "none"])
def test_wrong_number_of_values_is_an_error(tiny_model_dir, tiny_dataset, tmp_path, reward_errors):
    def one_short(completions, **kwargs):
        return [0.0] * (len(completions) - 1)

    with pytest.raises(RewardError) as info:
        run(tiny_model_dir, tiny_dataset, tmp_path, [one_short], reward_errors=reward_errors)
    assert str(info.value) == (
        "reward 'one_short': returned 7 values for 8 completions; a reward must return exactly one value "
        "(float or None) per completion"
    )


def test_nan_reward_is_an_error(tiny_model_dir, tiny_dataset, tmp_path):
    def nan_on_truncated(completions, **kwargs):
        return [math.nan if i == TRUNCATED else 1.0 for i in range(len(completions))]

    with pytest.raises(RewardError) as info:
        run(tiny_model_dir, tiny_dataset, tmp_path, [nan_on_truncated])
    assert str(info.value).startswith(
        f"reward 'nan_on_truncated', sample {TRUNCATED}: returned nan, which is not a finite number; return None"
    )


def test_inf_reward_becomes_none_under_reward_errors_none(tiny_model_dir, tiny_dataset, tmp_path, caplog):
    def inf_on_truncated(completions, **kwargs):
        return [math.inf if i == TRUNCATED else float(i) for i in range(len(completions))]

    with caplog.at_level(logging.WARNING, logger="grpo_plus.guard"):
        trainer = run(tiny_model_dir, tiny_dataset, tmp_path, [inf_on_truncated], reward_errors="none")
    assert finished(trainer)
    expected = [math.nan if i == TRUNCATED else float(i) for i in range(8)]
    torch.testing.assert_close(trainer.captured[0][:, 0], torch.tensor(expected), equal_nan=True)
    assert f"reward 'inf_on_truncated', sample {TRUNCATED}: returned inf; treated as None" in caplog.text


@pytest.mark.slow  # a 2 s time limit plus the worker pool's start (8-20 s)
def test_hanging_reward_under_with_timeout_scores_on_timeout(tiny_model_dir, tiny_dataset, tmp_path, caplog):
    timed = with_timeout(sleepy_length, seconds=2.0, on_timeout=0.0)
    start = time.monotonic()
    with caplog.at_level(logging.WARNING):
        trainer = run(tiny_model_dir, tiny_dataset, tmp_path, [timed])
    assert time.monotonic() - start < 120
    assert finished(trainer)
    expected = [0.0 if i == SLOW else float(len(text)) for i, (text, _) in enumerate(TEXTS)]
    torch.testing.assert_close(trainer.captured[0][:, 0], torch.tensor(expected))
    assert "sleepy_length: 1 sample(s) exceeded the 2.0 s timeout and got 0.0: indices [5]" in caplog.text


# ------------------------------------------------------------------------------------------------ odd completions
def test_empty_and_truncated_completions_with_builtin_rewards(tiny_model_dir, tiny_dataset, tmp_path):
    solutions = Dataset.from_list([{"prompt": "What is 2 + 2? ", "solution": "4"}] * 4)
    trainer = run(
        tiny_model_dir, solutions, tmp_path, ["accuracy", "format", "tag_count", "soft_overlong"],
        reward_kwargs={"soft_overlong": {"max_completion_length": MAX_LENGTH, "soft_punish_cache": 4}},
    )  # fmt: skip
    assert finished(trainer)
    rewards = trainer.captured[0]
    assert torch.isfinite(rewards).all()
    accuracy, fmt, tags = rewards[:, 0].tolist(), rewards[:, 1].tolist(), rewards[:, 2].tolist()
    assert accuracy[EMPTY] == fmt[EMPTY] == tags[EMPTY] == 0.0
    assert accuracy[0] == fmt[0] == tags[0] == 1.0  # the well-formed correct answer
    assert accuracy[TRUNCATED] == 0.0
    # soft_overlong (DAPO): length L past L_max - cache = 12 costs (12 - L) / 4; the cut completion has L = 16 -> -1,
    # the empty one (EOS only, L = 1) nothing
    assert rewards[TRUNCATED, 3].item() == -1.0 and rewards[EMPTY, 3].item() == 0.0


def test_process_mode_completion_without_separator_is_one_step(tiny_model_dir, tiny_dataset, tmp_path):
    seen = []

    def recording_steps(steps, **kwargs):
        seen.extend(steps)
        return [[1.0] * len(row) for row in steps]

    recording_steps.reward_level = "step"
    trainer = run(tiny_model_dir, tiny_dataset, tmp_path, [recording_steps], reward_mode="process")
    assert finished(trainer)
    assert len(seen) == 8
    for (text, _), steps in zip(TEXTS, seen):
        assert "".join(steps) == text
        assert len(steps) == (2 if "\n\n" in text else 1)
    per_completion = [h["steps/per_completion"] for h in trainer.state.log_history if "steps/per_completion" in h]
    assert per_completion == [pytest.approx(9 / 8)]


# ------------------------------------------------------------------------------------------------ dataset problems
def test_dataset_without_solution_column(tiny_model_dir, tmp_path):
    prompts_only = Dataset.from_list([{"prompt": f"What is {a} + 1? "} for a in range(4)])
    with pytest.raises(RewardError) as info:
        run(tiny_model_dir, prompts_only, tmp_path, ["accuracy"], reward_errors="none")
    assert str(info.value).startswith(
        "reward 'accuracy': needs the dataset column 'solution' (passed as a keyword argument by the trainer); "
        "keyword arguments received: ["
    )


def test_dataset_row_without_solution_is_ungraded(tiny_model_dir, tmp_path):
    rows = Dataset.from_list([{"prompt": "What is 2 + 2? ", "solution": "4"}, {"prompt": "What is 1 + 1? "}] * 2)
    assert rows[1]["solution"] is None
    trainer = run(tiny_model_dir, rows, tmp_path, ["accuracy"])
    assert finished(trainer)
    accuracy = trainer.captured[0][:, 0]
    graded = ~torch.isnan(accuracy)
    # each prompt's 4 completions share its row: exactly one group of 4 has no gold and is left ungraded (None)
    assert graded.reshape(2, 4).all(dim=1).sum() == 1 and (~graded).reshape(2, 4).all(dim=1).sum() == 1
