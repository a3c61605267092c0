"""GRPOPlusTrainer against TRL's GRPOTrainer, and its KL options end to end on the tiny model."""

import math

import pytest
import torch
from trl import GRPOConfig, GRPOTrainer

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.config import LOSS_TYPES


def length_reward(completions, **kwargs):
    return [float(len(c)) for c in completions]


def fixed_batch(trainer, seed=0, batch=4, prompt_len=5, completion_len=6):
    """A batch as `_generate_and_score_completions` would return it, with off-policy old log-probs so that
    clipping and importance weights are exercised."""
    g = torch.Generator().manual_seed(seed)
    vocab = trainer.model.config.vocab_size
    prompt_ids = torch.randint(5, vocab, (batch, prompt_len), generator=g)
    completion_ids = torch.randint(5, vocab, (batch, completion_len), generator=g)
    prompt_mask = torch.ones_like(prompt_ids)
    prompt_mask[0, :2] = 0  # left padding
    completion_mask = torch.ones_like(completion_ids)
    completion_mask[1, 4:] = 0  # right padding
    completion_mask[2, 2:] = 0
    with torch.no_grad():
        ids = torch.cat([prompt_ids, completion_ids], 1)
        logits = trainer.model(input_ids=ids, attention_mask=torch.cat([prompt_mask, completion_mask], 1)).logits
        logps = logits[:, prompt_len - 1 : -1].log_softmax(-1).gather(-1, completion_ids.unsqueeze(-1)).squeeze(-1)
    return {
        "prompt_ids": prompt_ids,
        "prompt_mask": prompt_mask,
        "completion_ids": completion_ids,
        "completion_mask": completion_mask,
        "advantages": torch.tensor([1.2, -0.7, 0.4, -0.9], dtype=logps.dtype),
        "old_per_token_logps": logps + 0.3 * torch.randn(logps.shape, generator=g, dtype=logps.dtype),
        "ref_per_token_logps": logps + 1.5 * torch.randn(logps.shape, generator=g, dtype=logps.dtype),
        "num_items_in_batch": completion_mask.sum(),
    }


def loss_and_grads(trainer, inputs):
    trainer.model.train()
    trainer.model.zero_grad()
    trainer.current_gradient_accumulation_steps = 2
    loss = trainer.compute_loss(trainer.model, {k: v.clone() for k, v in inputs.items()})
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None}


def build(cls, config_cls, model_dir, dataset, trainer_args, **overrides):
    """Float64 models: TRL's fused log-prob head still works in float32, so the two implementations agree to float32
    rounding of that head (≈1e-7 relative), far below any real difference between loss terms."""
    overrides.setdefault("model_init_kwargs", {"dtype": torch.float64})
    args = config_cls(**{**trainer_args, "steps_per_generation": 2, "gradient_accumulation_steps": 2, **overrides})
    return cls(model=model_dir, reward_funcs=length_reward, args=args, train_dataset=dataset)


def test_plain_grpo_config_gets_grpo_plus_config_defaults(tiny_model_dir, tiny_dataset, trainer_args):
    """A plain trl.GRPOConfig keeps its values and gets, for every grpo_plus field, what a GRPOPlusConfig built with
    the same arguments holds. The fields are enumerated from instances: the attributes a GRPOPlusConfig has and a
    GRPOConfig lacks."""
    plain, plus = GRPOConfig(**trainer_args), GRPOPlusConfig(**trainer_args)
    own = set(vars(plus)) - set(vars(plain))
    assert {
        "kl_estimator", "kl_in_reward", "reward_mode", "step_separator", "reward_funcs", "reward_kwargs",
        "process_credit", "reward_errors", "dynamic_sampling", "max_resample_rounds", "kl_target", "kl_horizon",
        "entropy_control", "kl_cov_ratio", "kl_cov_coef", "clip_cov_ratio", "clip_cov_bounds",
    } <= own  # fmt: skip
    trainer = GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=length_reward, args=plain, train_dataset=tiny_dataset)
    for name in own:
        assert getattr(trainer.args, name) == getattr(plus, name), name
    for name in ("output_dir", "per_device_train_batch_size", "num_generations", "max_completion_length", "beta"):
        assert getattr(trainer.args, name) == getattr(plain, name), name
    attributes = ("kl_estimator", "kl_in_reward", "reward_mode", "step_separator", "process_credit", "entropy_control")
    assert [getattr(trainer, a) for a in attributes] == ["k3", False, "outcome", "\n\n", "sum", None]
    assert trainer.kl_controller is None and trainer.dynamic_sampler is None
    assert trainer.args.clip_cov_bounds is not plus.clip_cov_bounds  # a fresh list, not one shared between configs


@pytest.mark.parametrize("loss_type", LOSS_TYPES)
@pytest.mark.parametrize("bias_correction", [False, True])
@pytest.mark.parametrize("level", ["token", "sequence"])
def test_k3_outcome_equals_trl(loss_type, bias_correction, level, tiny_model_dir, tiny_dataset, trainer_args):
    overrides = {
        "loss_type": loss_type, "use_bias_correction_kl": bias_correction, "beta": 0.1, "importance_sampling_level": level
    }
    trl_trainer = build(GRPOTrainer, GRPOConfig, tiny_model_dir, tiny_dataset, trainer_args, **overrides)
    plus_trainer = build(GRPOPlusTrainer, GRPOPlusConfig, tiny_model_dir, tiny_dataset, trainer_args, **overrides)
    inputs = fixed_batch(trl_trainer)
    trl_loss, trl_grads = loss_and_grads(trl_trainer, inputs)
    plus_loss, plus_grads = loss_and_grads(plus_trainer, inputs)
    assert torch.allclose(plus_loss, trl_loss, rtol=1e-6, atol=1e-9), (plus_loss, trl_loss)
    assert trl_grads.keys() == plus_grads.keys() and trl_grads
    for name, grad in trl_grads.items():  # max deviation relative to the gradient's own scale
        assert (plus_grads[name] - grad).abs().max() <= 1e-6 * grad.abs().max() + 1e-12, name
    assert trl_trainer._metrics["train"]["kl"][-1] == pytest.approx(plus_trainer._metrics["train"]["kl"][-1], rel=1e-5)


@pytest.mark.parametrize("bias_correction", [True, False])
@pytest.mark.parametrize("estimator", ["k1", "k2", "k1+", "k3+"])
def test_other_estimators_change_only_the_kl_term(estimator, bias_correction, tiny_model_dir, tiny_dataset, trainer_args):
    """loss(estimator) − loss(TRL, k3) = β·(S(w·k) − S(ρ_trl·k3)) / GA for the grpo loss type, where S is the mean
    over sequences of the masked token means, ρ = π/π_old is TRL's bias-correction weight (1 when it is off) and
    w = ρ, except for the straight-through k1+/k3+, which never take ρ. Log-probs come from an independent forward."""
    beta = 0.1
    kwargs = {"beta": beta, "use_bias_correction_kl": bias_correction, "loss_type": "grpo"}
    trl_trainer = build(GRPOTrainer, GRPOConfig, tiny_model_dir, tiny_dataset, trainer_args, **kwargs)
    plus = build(GRPOPlusTrainer, GRPOPlusConfig, tiny_model_dir, tiny_dataset, trainer_args, kl_estimator=estimator, **kwargs)
    inputs = fixed_batch(trl_trainer)
    trl_loss, _ = loss_and_grads(trl_trainer, inputs)
    plus_loss, _ = loss_and_grads(plus, inputs)
    with torch.no_grad(), plus.accelerator.autocast():  # TRL 1.16 defaults to bf16 autocast, on the CPU too
        ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
        mask = inputs["completion_mask"].double()
        attention = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
        logits = plus.model(input_ids=ids, attention_mask=attention).logits
        logps = logits[:, 4:-1].double().log_softmax(-1).gather(-1, inputs["completion_ids"].unsqueeze(-1)).squeeze(-1)
    log_r = inputs["ref_per_token_logps"] - logps
    by_hand = {"k1": -log_r, "k2": 0.5 * log_r**2, "k3": log_r.exp() - 1 - log_r}
    by_hand["k1+"], by_hand["k3+"] = by_hand["k1"], by_hand["k3"]
    rho = (logps - inputs["old_per_token_logps"]).exp() if bias_correction else torch.ones_like(logps)
    weight = torch.ones_like(rho) if estimator.endswith("+") else rho

    def seq_mean(x):
        return ((x * mask).sum(1) / mask.sum(1)).mean()

    expected = trl_loss + beta * (seq_mean(weight * by_hand[estimator]) - seq_mean(rho * by_hand["k3"])) / 2
    assert plus_loss.item() == pytest.approx(expected.item(), abs=1e-3)
    if estimator in ("k1", "k2"):  # values differ from k3's on this batch, so the losses must too
        assert abs(plus_loss.item() - trl_loss.item()) > 1e-2
    logged = float((weight * by_hand[estimator] * mask).sum() / mask.sum())
    assert plus._metrics["train"]["kl"][-1] == pytest.approx(logged, rel=1e-3)


@pytest.mark.parametrize(
    "estimator,kl_in_reward", [("k1", False), ("k2", False), ("k3", False), ("k1+", False), ("k3+", False), ("k3", True), ("k1", True)]
)
def test_short_training_runs_log_the_chosen_estimator(estimator, kl_in_reward, tiny_model_dir, tiny_dataset, trainer_args):
    args = GRPOPlusConfig(**{**trainer_args, "max_steps": 3, "learning_rate": 0.05}, kl_estimator=estimator, kl_in_reward=kl_in_reward)
    trainer = GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=length_reward, args=args, train_dataset=tiny_dataset)
    trainer.train()
    logs = [h for h in trainer.state.log_history if "kl" in h]
    assert trainer.state.global_step == 3 and len(logs) == 3
    value_of = estimator.rstrip("+")
    for h in logs:
        assert h["kl"] == pytest.approx(h[f"kl/{value_of}"], rel=1e-6, abs=1e-9)
        assert h["kl/k2"] >= 0 and h["kl/k3"] >= 0
    last = logs[-1]
    assert len({round(last["kl/k1"], 8), round(last["kl/k2"], 8), round(last["kl/k3"], 8)}) == 3  # the policy moved
    if kl_in_reward:
        penalties = [h["kl_penalty"] for h in logs]
        assert any(p != 0 for p in penalties)
        if estimator == "k3":
            assert all(p >= 0 for p in penalties)
