"""KL-Cov and Clip-Cov inside the trainer's loss, against an independent computation from the paper's definitions
(Cui et al. 2025, arXiv 2505.22617) on a hand-built off-policy batch (float64 model, β = 0, dapo aggregation)."""

import pytest
import torch

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer

from .test_trainer import fixed_batch, length_reward


def build(model_dir, dataset, trainer_args, **overrides):
    args = GRPOPlusConfig(
        **{**trainer_args, "steps_per_generation": 2, "gradient_accumulation_steps": 2, "beta": 0.0, **overrides},
        loss_type="dapo",
        model_init_kwargs={"dtype": torch.float64},
    )
    return GRPOPlusTrainer(model=model_dir, reward_funcs=length_reward, args=args, train_dataset=dataset)


def by_hand(trainer, inputs):
    """Per-token log-probs (independent forward), ratios, advantages and centred covariances, as lists."""
    ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
    attention = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
    with torch.no_grad():
        logits = trainer.model(input_ids=ids, attention_mask=attention).logits
    logps = logits[:, 4:-1].log_softmax(-1).gather(-1, inputs["completion_ids"].unsqueeze(-1)).squeeze(-1)
    mask = inputs["completion_mask"].bool()
    valid = [(i, t) for i in range(mask.size(0)) for t in range(mask.size(1)) if mask[i, t]]
    lp = {v: float(logps[v]) for v in valid}
    adv = {v: float(inputs["advantages"][v[0]]) for v in valid}
    ratio = {v: float(torch.exp(logps[v] - inputs["old_per_token_logps"][v])) for v in valid}
    mean_lp = sum(lp.values()) / len(valid)
    mean_a = sum(adv.values()) / len(valid)
    cov = {v: (lp[v] - mean_lp) * (adv[v] - mean_a) for v in valid}
    return valid, lp, adv, ratio, cov


def trainer_loss(trainer, inputs):
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 2
    return trainer.compute_loss(trainer.model, {k: v.clone() for k, v in inputs.items()}).item()


def test_kl_cov_selects_the_top_covariances_and_penalises_them(tiny_model_dir, tiny_dataset, trainer_args):
    coef = 0.5
    trainer = build(tiny_model_dir, tiny_dataset, trainer_args, entropy_control="kl_cov", kl_cov_ratio=0.2, kl_cov_coef=coef)
    inputs = fixed_batch(trainer)
    valid, lp, adv, ratio, cov = by_hand(trainer, inputs)
    k = max(1, int(0.2 * len(valid)))  # 18 valid tokens -> 3
    selected = sorted(valid, key=lambda v: -cov[v])[:k]
    old = {v: float(inputs["old_per_token_logps"][v]) for v in valid}
    # KL-Cov (verl): every token −A·ρ, without the PPO clip; the selected ones + coef·|log π − log π_old|
    per_token = {v: -adv[v] * ratio[v] + (coef * abs(lp[v] - old[v]) if v in selected else 0.0) for v in valid}
    expected = sum(per_token.values()) / len(valid)  # dapo: sum over tokens / tokens in the generation batch
    assert trainer_loss(trainer, inputs) == pytest.approx(expected, rel=1e-6)  # TRL computes log-probs in float32
    assert trainer._metrics["train"]["entropy_control/kl_cov_frac"][-1] == pytest.approx(k / len(valid))
    clipped = [v for v in valid if (adv[v] > 0 and ratio[v] > 1.2) or (adv[v] < 0 and ratio[v] < 0.8)]
    assert clipped  # the batch exercises the lifted clip


def test_clip_cov_drops_a_random_draw_of_the_band(tiny_model_dir, tiny_dataset, trainer_args):
    trainer = build(
        tiny_model_dir, tiny_dataset, trainer_args, entropy_control="clip_cov", clip_cov_ratio=0.2,
        clip_cov_bounds=[-10.0, 10.0],
    )  # fmt: skip
    inputs = fixed_batch(trainer)
    valid, lp, adv, ratio, cov = by_hand(trainer, inputs)
    eps_low, eps_high = trainer.epsilon_low, trainer.epsilon_high
    clipped = {v for v in valid if (adv[v] > 0 and ratio[v] > 1 + eps_high) or (adv[v] < 0 and ratio[v] < 1 - eps_low)}
    candidates = [v for v in valid if -10.0 < cov[v] < 10.0 and v not in clipped]  # row-major order
    count = max(1, int(0.2 * len(valid)))
    draw = torch.randperm(len(candidates), generator=torch.Generator().manual_seed(trainer.args.seed))[:count]
    selected = {candidates[i] for i in draw.tolist()}
    assert clipped and len(selected) == count

    def ppo(v):
        clamped = min(max(ratio[v], 1 - eps_low), 1 + eps_high)
        return -min(ratio[v] * adv[v], clamped * adv[v])

    expected = sum(0.0 if v in selected else ppo(v) for v in valid) / len(valid)
    assert trainer_loss(trainer, inputs) == pytest.approx(expected, rel=1e-6)  # TRL computes log-probs in float32
    without = sum(ppo(v) for v in valid) / len(valid)
    assert abs(expected - without) > 1e-6  # the drop matters on this batch


def test_entropy_control_is_off_in_evaluation(tiny_model_dir, tiny_dataset, trainer_args):
    plain = build(tiny_model_dir, tiny_dataset, trainer_args)
    controlled = build(tiny_model_dir, tiny_dataset, trainer_args, entropy_control="kl_cov", kl_cov_ratio=0.5)
    inputs = fixed_batch(plain)
    losses = []
    for trainer in (plain, controlled):
        trainer.model.eval()
        with torch.no_grad():
            losses.append(trainer.compute_loss(trainer.model, {k: v.clone() for k, v in inputs.items()}).item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"loss_type": "cispo"}, "loss_type"),
        ({"importance_sampling_level": "sequence"}, "importance_sampling_level"),
        ({"top_entropy_quantile": 0.8}, "top_entropy_quantile"),
        ({"entropy_coef": 0.01}, "entropy_coef"),
    ],
)
def test_meaningless_combinations_are_rejected_at_config_time(overrides, field, trainer_args):
    with pytest.raises(ValueError, match=rf"entropy_control='clip_cov'.*{field}"):
        GRPOPlusConfig(**trainer_args, entropy_control="clip_cov", **overrides)
