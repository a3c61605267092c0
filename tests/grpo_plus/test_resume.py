"""Resume from a checkpoint: the same global step, optimizer state, RNG state and remaining losses as the run that
was never stopped, in outcome and process mode, including a checkpoint in the middle of a generation cycle."""

from __future__ import annotations

import logging
import random
import re
import shutil
from types import SimpleNamespace

import pytest
import torch
from transformers import TrainerCallback

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.resume import STATE_FILE, extra_state, load_generation_state, save_generation_state
from tests.tiny_run import tiny_run

MAX_STEPS = 3


def length_reward(completions, **kwargs):
    return [float(len(c)) / 4 for c in completions]


def position_weighted_steps(steps, **kwargs):
    """Step k (from 1) of a completion scores k · len(step) / 4."""
    return [[(k + 1) * len(step) / 4 for k, step in enumerate(row)] for row in steps]


position_weighted_steps.reward_level = "step"

MODES = {
    # one generation split over 2 steps: checkpoint-1 is in the middle of the cycle, step 3 generates again
    "outcome": dict(reward_mode="outcome", steps_per_generation=2, num_iterations=1),
    # each generation trained on twice (2 iterations): the same, through TRL's num_iterations
    "process": dict(reward_mode="process", steps_per_generation=1, num_iterations=2, step_separator=" "),
    # the trainer's own state: the dynamic-sampling prompt stream, the adaptive β and the Clip-Cov random draws
    "dynamic": dict(
        dynamic_sampling=True, steps_per_generation=2, kl_target=0.05, kl_horizon=32, entropy_control="clip_cov",
        clip_cov_ratio=0.2, clip_cov_bounds=[-1e6, 1e6],
    ),
}


def even_sums_constant(completions, prompts, **kwargs):
    """1 for every completion of a prompt 'What is a + b?' with a + b even (a group dynamic sampling drops)."""
    sums = [sum(int(n) for n in re.findall(r"\d+", p)) for p in prompts]
    return [1.0 if s % 2 == 0 else float(len(c)) / 4 for c, s in zip(completions, sums)]


class _SaveAtStepOne(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        control.should_save = state.global_step == 1
        return control


def make_trainer(mode, model_dir, dataset, output_dir):
    args = GRPOPlusConfig(**tiny_run(output_dir, max_steps=MAX_STEPS, learning_rate=1e-2, **MODES[mode]))
    rewards = {"outcome": [length_reward], "process": [position_weighted_steps, length_reward]}.get(mode, [even_sums_constant])
    return GRPOPlusTrainer(
        model_dir, reward_funcs=rewards, args=args, train_dataset=dataset, callbacks=[_SaveAtStepOne()]
    )


def losses(trainer) -> dict[int, float]:
    return {h["step"]: h["loss"] for h in trainer.state.log_history if "loss" in h}


def final_state(trainer) -> SimpleNamespace:
    return SimpleNamespace(
        params={n: p.detach().clone() for n, p in trainer.model.named_parameters()},
        optimizer=trainer.optimizer.state_dict(),
        torch_rng=torch.get_rng_state(),
        python_rng=random.getstate(),
        losses=losses(trainer),
        global_step=trainer.state.global_step,
        extra=extra_state(trainer),
    )


@pytest.fixture(scope="module", params=list(MODES))
def uninterrupted(request, tiny_model_dir, tiny_dataset, tmp_path_factory):
    mode = request.param
    out = tmp_path_factory.mktemp(f"resume-{mode}")
    trainer = make_trainer(mode, tiny_model_dir, tiny_dataset, out / "full")
    trainer.train()
    return SimpleNamespace(mode=mode, out=out, state=final_state(trainer))


def assert_same_optimizer(a: dict, b: dict) -> None:
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys() and a["state"]
    for key, state in a["state"].items():
        for name, value in state.items():
            torch.testing.assert_close(b["state"][key][name], value, rtol=0, atol=1e-7, msg=f"{key}.{name}")


def test_resume_mid_cycle_equals_uninterrupted_run(uninterrupted, tiny_model_dir, tiny_dataset):
    full = uninterrupted.state
    checkpoint = uninterrupted.out / "full" / "checkpoint-1"
    assert (checkpoint / STATE_FILE.format(rank=0)).is_file()
    resumed = make_trainer(uninterrupted.mode, tiny_model_dir, tiny_dataset, uninterrupted.out / "resumed")
    resumed.train(resume_from_checkpoint=str(checkpoint))
    again = final_state(resumed)
    assert again.global_step == full.global_step == MAX_STEPS
    assert sorted(again.losses) == list(range(1, MAX_STEPS + 1))
    for step in range(2, MAX_STEPS + 1):  # the steps trained after the resume
        assert again.losses[step] == pytest.approx(full.losses[step], rel=1e-6, abs=1e-7), step
    assert len({round(v, 6) for v in full.losses.values()}) > 1  # the losses are not all one constant
    for name, value in full.params.items():
        torch.testing.assert_close(again.params[name], value, rtol=0, atol=1e-7, msg=name)
    assert_same_optimizer(full.optimizer, again.optimizer)
    assert torch.equal(again.torch_rng, full.torch_rng)
    assert again.python_rng == full.python_rng
    if uninterrupted.mode == "dynamic":
        assert again.extra["kl_controller"] == full.extra["kl_controller"]
        assert full.extra["kl_controller"]["beta"] != 0.04  # β moved
        assert again.extra["dynamic_sampling"] == full.extra["dynamic_sampling"] != {"position": 0, "epoch": 0}
        assert torch.equal(again.extra["cov_generator"], full.extra["cov_generator"])


def test_resume_without_the_buffer_diverges(uninterrupted, tiny_model_dir, tiny_dataset, caplog):
    """What the saved generation buffer buys: without it TRL samples afresh and the remaining steps differ."""
    checkpoint = uninterrupted.out / "stripped-checkpoint-1"
    shutil.copytree(uninterrupted.out / "full" / "checkpoint-1", checkpoint)
    (checkpoint / STATE_FILE.format(rank=0)).unlink()
    resumed = make_trainer(uninterrupted.mode, tiny_model_dir, tiny_dataset, uninterrupted.out / "stripped")
    with caplog.at_level(logging.WARNING, logger="grpo_plus.resume"):
        resumed.train(resume_from_checkpoint=str(checkpoint))
    assert f"has no {STATE_FILE.format(rank=0)}: the generation buffer is not restored" in caplog.text
    assert resumed.state.global_step == MAX_STEPS
    assert losses(resumed)[2] != pytest.approx(uninterrupted.state.losses[2], rel=1e-3)


def test_generation_state_round_trip_and_checks(tiny_model_dir, tiny_dataset, tmp_path, caplog):
    trainer = make_trainer("outcome", tiny_model_dir, tiny_dataset, tmp_path / "out")
    trainer.state.global_step = 3
    trainer._step = 7
    trainer._buffered_inputs = [{"completion_ids": torch.tensor([[1, 2]]), "advantages": torch.tensor([0.5])}, {}]
    path = save_generation_state(trainer, tmp_path / "checkpoint-3")
    assert path == tmp_path / "checkpoint-3" / "grpo_plus_generation_rank0.pt"

    trainer._step, trainer._buffered_inputs = 0, None
    assert load_generation_state(trainer, tmp_path / "checkpoint-3")
    assert trainer._step == 7
    assert torch.equal(trainer._buffered_inputs[0]["completion_ids"], torch.tensor([[1, 2]]))
    assert trainer._buffered_inputs[1] == {}

    trainer._step, trainer._buffered_inputs = 0, None
    trainer.state.global_step = 4
    with caplog.at_level(logging.WARNING, logger="grpo_plus.resume"):
        assert not load_generation_state(trainer, tmp_path / "checkpoint-3")
        assert not load_generation_state(trainer, tmp_path / "nowhere")
    assert "it is for step 3, the run resumes at step 4" in caplog.text
    assert "nowhere has no grpo_plus_generation_rank0.pt" in caplog.text
    assert (trainer._step, trainer._buffered_inputs) == (0, None)
    assert not load_generation_state(trainer, None)
