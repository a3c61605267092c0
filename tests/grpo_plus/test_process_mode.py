"""Process-reward mode end to end on the tiny model, with the registry's step and outcome rewards."""

import pytest
import torch

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer


def run(tiny_model_dir, dataset, trainer_args, reward_funcs, **overrides):
    args = GRPOPlusConfig(
        **{**trainer_args, "max_completion_length": 24, "max_steps": 2, **overrides},
        reward_mode="process",
        step_separator=" ",
    )
    trainer = GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=reward_funcs, args=args, train_dataset=dataset)
    trainer.train()
    return trainer


@pytest.mark.parametrize(
    "reward_funcs,estimator,kl_in_reward",
    [
        (["arithmetic_steps"], "k1", False),
        (["arithmetic_steps", "accuracy"], "k2", False),
        (["arithmetic_steps", "accuracy"], "k3", False),
        (["arithmetic_steps"], "k3", True),
        (["arithmetic_steps", "accuracy", "format"], "k3+", True),
    ],
)
def test_process_training_runs(reward_funcs, estimator, kl_in_reward, tiny_model_dir, tiny_dataset, trainer_args):
    trainer = run(
        tiny_model_dir,
        tiny_dataset,
        trainer_args,
        reward_funcs,
        kl_estimator=estimator,
        kl_in_reward=kl_in_reward,
        reward_kwargs={"arithmetic_steps": {"no_equation": 0.5}},
    )
    logs = [h for h in trainer.state.log_history if "steps/per_completion" in h]
    assert trainer.state.global_step == 2 and len(logs) == 2
    for h in logs:
        assert h["steps/per_completion"] >= 1
        for name in reward_funcs:
            assert f"rewards/{name}/mean" in h
        assert h["kl"] == pytest.approx(h[f"kl/{estimator.rstrip('+')}"], rel=1e-6, abs=1e-9)
        assert "advantages/mean" in h and h["advantages/min"] <= h["advantages/max"]
        assert ("kl_penalty" in h) == False or kl_in_reward  # noqa: E712 - only logged with the KL in the reward


def vowel_steps(steps, **kwargs):
    """A step reward that varies on random text: the fraction of vowels in each step."""
    return [[sum(ch in "aeiou" for ch in s) / max(len(s), 1) for s in row] for row in steps]


vowel_steps.reward_level = "step"


def test_buffers_carry_token_advantages(tiny_model_dir, tiny_dataset, trainer_args):
    """steps_per_generation > 1, num_iterations > 1 and gradient accumulation: every buffered micro-batch keeps (B, T)
    advantages aligned with its own rows (zero exactly on that row's padding)."""
    trainer = run(
        tiny_model_dir,
        tiny_dataset,
        trainer_args,
        [vowel_steps],
        per_device_train_batch_size=4,
        steps_per_generation=4,
        gradient_accumulation_steps=2,
        num_iterations=2,
        max_steps=2,
    )
    assert trainer.state.global_step == 2
    buffered = trainer._buffered_inputs
    assert len(buffered) == 4
    nonzero = 0
    for batch in buffered:
        advantages, mask = batch["advantages"], batch["completion_mask"]
        assert advantages.shape == batch["completion_ids"].shape == mask.shape
        lengths = mask.sum(1)
        for row, length in zip(advantages, lengths):
            assert torch.all(row[int(length) :] == 0)
        nonzero += int((advantages != 0).any())
    assert nonzero >= 2


def test_step_reward_needs_process_mode(tiny_model_dir, tiny_dataset, trainer_args):
    args = GRPOPlusConfig(**trainer_args)
    with pytest.raises(ValueError, match=r"step-level rewards \['arithmetic_steps'\] need reward_mode='process'"):
        GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=["arithmetic_steps"], args=args, train_dataset=tiny_dataset)


def test_process_mode_needs_a_step_reward(tiny_model_dir, tiny_dataset, trainer_args):
    args = GRPOPlusConfig(**trainer_args, reward_mode="process")
    with pytest.raises(ValueError, match="reward_mode='process' needs at least one step-level reward"):
        GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=["accuracy"], args=args, train_dataset=tiny_dataset)


def test_bad_step_reward_output_names_reward_and_sample(tiny_model_dir, tiny_dataset, trainer_args):
    def short_rows(steps, **kwargs):
        return [row[:-1] if i == 3 else row for i, row in enumerate([[1.0] * len(s) for s in steps])]

    short_rows.reward_level = "step"
    with pytest.raises(ValueError, match=r"reward 'short_rows', sample 3: returned \d+ scores for \d+ steps"):
        run(tiny_model_dir, tiny_dataset, trainer_args, [short_rows])


def test_missing_prompt_column_lists_the_columns(tiny_model_dir, tiny_dataset, trainer_args):
    dataset = tiny_dataset.rename_column("prompt", "question")
    with pytest.raises(ValueError, match=r"no 'prompt' column; its columns are \['question', 'solution'\]"):
        GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=["accuracy"], args=GRPOPlusConfig(**trainer_args), train_dataset=dataset)
