"""Dynamic sampling in real (tiny) training runs: the batch holds informative groups while rounds remain, the counts
match a hand count, it composes with generation buffers, process mode and TRL's default path stays TRL's."""

from collections import defaultdict

import pytest
import torch
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.dynamic_sampling import DynamicSampler

G = 4


@pytest.fixture(scope="module")
def mixed_dataset():
    """Prompts whose reward is constant ('const': every completion scores 1) or varies with the completion."""
    rows = [
        {"prompt": f"What is {a} + {b}? ", "kind": "const" if (a + b) % 2 == 0 else "vary"}
        for a in range(1, 5)
        for b in range(1, 5)
    ]
    return Dataset.from_list(rows)


class Recorder:
    """Reward: 1.0 for 'const' prompts, the completion's length for the others; records every call per step."""

    def __init__(self):
        self.calls = defaultdict(list)
        self.__name__ = "mixed"

    def __call__(self, completions, kind, trainer_state=None, **kwargs):
        values = [1.0 if k == "const" else float(len(c)) for c, k in zip(completions, kind)]
        self.calls[trainer_state.global_step + 1].append(values)
        return values


def run(model_dir, dataset, trainer_args, reward, **overrides):
    args = GRPOPlusConfig(**{**trainer_args, "max_steps": 6, "dynamic_sampling": True, **overrides})
    trainer = GRPOPlusTrainer(model=model_dir, reward_funcs=reward, args=args, train_dataset=dataset)
    trainer.train()
    return trainer, [h for h in trainer.state.log_history if "dynamic_sampling/rounds" in h]


def test_rounds_refill_the_batch_and_the_counts_match_a_hand_count(tiny_model_dir, mixed_dataset, trainer_args):
    reward = Recorder()
    trainer, logs = run(tiny_model_dir, mixed_dataset, trainer_args, reward, max_resample_rounds=3)
    assert len(logs) == 6
    groups_per_batch = trainer_args["per_device_train_batch_size"] // G
    for step, h in enumerate(logs, start=1):
        calls = reward.calls[step]
        dropped = sum(len(set(call[i : i + G])) == 1 for call in calls for i in range(0, len(call), G))
        kept = sum(len(set(call[i : i + G])) > 1 for call in calls for i in range(0, len(call), G))
        assert h["dynamic_sampling/rounds"] == len(calls)
        assert h["dynamic_sampling/dropped_groups"] == dropped
        assert h["dynamic_sampling/kept_frac"] == min(kept, groups_per_batch) / groups_per_batch
        if len(calls) < 4:  # rounds remained, so the batch filled up with informative groups
            assert h["dynamic_sampling/kept_frac"] == 1.0 and h["frac_reward_zero_std"] == 0.0
    assert sum(h["dynamic_sampling/dropped_groups"] for h in logs) > 0  # the const prompts were really dropped
    assert any(h["dynamic_sampling/rounds"] > 1 for h in logs)


def test_without_rounds_left_dropped_groups_fill_the_batch(tiny_model_dir, mixed_dataset, trainer_args):
    def constant(completions, **kwargs):
        return [1.0] * len(completions)

    trainer, logs = run(tiny_model_dir, mixed_dataset, trainer_args, constant, max_resample_rounds=2, max_steps=2)
    assert [h["dynamic_sampling/rounds"] for h in logs] == [3.0, 3.0]
    assert [h["dynamic_sampling/kept_frac"] for h in logs] == [0.0, 0.0]
    assert [h["dynamic_sampling/dropped_groups"] for h in logs] == [6.0, 6.0]  # 2 groups × 3 rounds
    assert all(h["frac_reward_zero_std"] == 1.0 for h in logs)
    assert trainer.state.global_step == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    "overrides",
    [
        {"steps_per_generation": 2, "gradient_accumulation_steps": 2},
        {"num_iterations": 2},
        {"gradient_accumulation_steps": 2, "steps_per_generation": 1, "kl_in_reward": True},
        {"reward_mode": "process", "step_separator": " "},
    ],
    ids=["steps_per_generation", "num_iterations", "accumulation+kl_in_reward", "process"],
)
def test_composes_with_buffers_accumulation_kl_and_process_mode(overrides, tiny_model_dir, mixed_dataset, trainer_args):
    funcs = [Recorder()]
    if overrides.get("reward_mode") == "process":
        def word_steps(steps, **kwargs):
            return [[float(len(s.strip()) % 3) for s in row] for row in steps]

        word_steps.reward_level = "step"
        funcs = [word_steps, Recorder()]
    trainer, logs = run(tiny_model_dir, mixed_dataset, trainer_args, funcs, max_steps=3, **overrides)
    assert trainer.state.global_step == 3 and logs
    assert all(h["dynamic_sampling/kept_frac"] == 1.0 or h["dynamic_sampling/rounds"] == 4 for h in logs)


def test_default_path_is_trl(tiny_model_dir, mixed_dataset, trainer_args):
    """dynamic_sampling=False (default): the same seed gives TRL's losses, step by step."""

    def reward(completions, kind, **kwargs):
        return [1.0 if k == "const" else float(len(c)) for c, k in zip(completions, kind)]

    common = {**trainer_args, "max_steps": 3}
    trl = GRPOTrainer(model=tiny_model_dir, reward_funcs=reward, args=GRPOConfig(**common), train_dataset=mixed_dataset)
    trl.train()
    plus_args = GRPOPlusConfig(**common)
    assert plus_args.dynamic_sampling is False
    plus = GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=reward, args=plus_args, train_dataset=mixed_dataset)
    plus.train()
    trl_losses = [h["loss"] for h in trl.state.log_history if "loss" in h]
    plus_losses = [h["loss"] for h in plus.state.log_history if "loss" in h]
    assert len(trl_losses) == 3 and plus_losses == pytest.approx(trl_losses, rel=1e-5, abs=1e-7)
    assert not any("dynamic_sampling/rounds" in h for h in plus.state.log_history)


def test_fresh_prompt_stream_is_deterministic_and_resumable(mixed_dataset):
    class Stub:
        class accelerator:
            process_index = 0

    a = DynamicSampler(Stub(), mixed_dataset, max_rounds=3, seed=5)
    first = a.fresh_prompts(10) + a.fresh_prompts(10)  # crosses the end of the 16 prompts: a new pass begins
    assert sorted(first[:16]) == list(range(16)) and a.epoch == 1 and a.position == 4
    state = a.state_dict()
    b = DynamicSampler(Stub(), mixed_dataset, max_rounds=3, seed=5)
    assert b.fresh_prompts(10) + b.fresh_prompts(10) == first
    b.load_state_dict(state)
    assert b.fresh_prompts(6) == a.fresh_prompts(6)
    rows = a.local_inputs([3, 7], num_generations=2, local_size=4)
    assert [r["prompt"] for r in rows] == [mixed_dataset[3]["prompt"]] * 2 + [mixed_dataset[7]["prompt"]] * 2


def test_needs_a_map_style_dataset(tiny_model_dir, trainer_args):
    from datasets import IterableDataset

    def gen():
        yield {"prompt": "hi"}

    with pytest.raises(ValueError, match="dynamic_sampling=True needs a map-style train_dataset"):
        GRPOPlusTrainer(
            model=tiny_model_dir,
            reward_funcs=Recorder(),
            args=GRPOPlusConfig(**{**trainer_args, "max_steps": 1}, dynamic_sampling=True),
            train_dataset=IterableDataset.from_generator(gen),
        )


def test_assembled_batch_rows_are_the_chosen_groups(tiny_model_dir, mixed_dataset, trainer_args):
    """The trained batch is made of the chosen rounds' completions: its prompts are those of informative groups."""
    reward = Recorder()
    args = GRPOPlusConfig(**{**trainer_args, "max_steps": 1}, dynamic_sampling=True, max_resample_rounds=3)
    trainer = GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=reward, args=args, train_dataset=mixed_dataset)
    trainer.model.train()
    batch = next(iter(trainer.get_train_dataloader()))
    output = trainer._generate_and_score_completions(batch)
    prompts = trainer.processing_class.batch_decode(output["prompt_ids"], skip_special_tokens=True)
    kinds = {row["prompt"]: row["kind"] for row in mixed_dataset}
    informative = sum(len(set(c[i : i + G])) > 1 for c in reward.calls[1] for i in range(0, len(c), G))
    if informative >= len(prompts) // G:
        assert all(kinds[p] == "vary" for p in prompts)
    assert output["advantages"].shape == (len(prompts),)
    assert output["num_items_in_batch"] == output["completion_mask"].sum()
    for i in range(0, len(prompts), G):
        assert len(set(prompts[i : i + G])) == 1  # groups stay together
        assert torch.isclose(output["advantages"][i : i + G].mean(), torch.zeros(()), atol=1e-5)
