"""Process mode with every TRL loss option: (B, T) advantages through TRL's loss.

Two properties, on a fixed off-policy batch and float64 models:

- consistency: with every token of a row sharing one advantage, process mode's (B, T) path gives exactly the loss
  and gradients of outcome mode's (B,) path, for every loss type and option (GSPO-token equals GSPO there, as its
  paper states);
- credit: with token-varying advantages the gradient of each token's log-prob follows its own advantage, including
  with ``importance_sampling_level="sequence"`` (GSPO-token), where TRL's sequence-level ratio would give every token
  of a completion the same weight.
"""

import pytest
import torch

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.config import LOSS_TYPES
from grpo_plus.loss_terms import RATIO_GRADIENT

from .test_trainer import fixed_batch, length_reward, loss_and_grads


def one_step(steps, **kwargs):
    return [[1.0 for _ in row] for row in steps]


one_step.reward_level = "step"


def build(mode, model_dir, dataset, trainer_args, **overrides):
    args = GRPOPlusConfig(
        **{**trainer_args, "steps_per_generation": 2, "gradient_accumulation_steps": 2, "beta": 0.1, **overrides},
        reward_mode=mode,
        model_init_kwargs={"dtype": torch.float64},
    )
    funcs = [one_step, length_reward] if mode == "process" else [length_reward]
    return GRPOPlusTrainer(model=model_dir, reward_funcs=funcs, args=args, train_dataset=dataset)


OPTIONS = (
    [{"loss_type": t} for t in LOSS_TYPES]
    + [{"loss_type": t, "importance_sampling_level": "sequence"} for t in LOSS_TYPES]
    + [
        {"loss_type": "dapo", "off_policy_mask_threshold": 0.05},
        {"loss_type": "vespo", "off_policy_mask_threshold": 0.05},
        {"loss_type": "grpo", "top_entropy_quantile": 0.5},
        {"loss_type": "dapo", "entropy_coef": 0.05},
        {"loss_type": "bnpo", "delta": 1.2},
        {"loss_type": "dapo", "epsilon_high": 0.28, "mask_truncated_completions": True},
    ]
)


def _id(option):
    return ",".join(f"{k}={v}" for k, v in option.items())


@pytest.mark.parametrize("option", OPTIONS, ids=_id)
def test_constant_rows_equal_the_outcome_path(option, tiny_model_dir, tiny_dataset, trainer_args):
    outcome = build("outcome", tiny_model_dir, tiny_dataset, trainer_args, **option)
    process = build("process", tiny_model_dir, tiny_dataset, trainer_args, **option)
    inputs = fixed_batch(outcome)
    per_token = dict(inputs, advantages=inputs["advantages"].unsqueeze(1).expand_as(inputs["completion_ids"]).clone())
    loss_o, grads_o = loss_and_grads(outcome, inputs)
    loss_p, grads_p = loss_and_grads(process, per_token)
    assert torch.allclose(loss_p, loss_o, rtol=1e-9, atol=1e-12), (loss_p, loss_o)
    for name, grad in grads_o.items():
        assert (grads_p[name] - grad).abs().max() <= 1e-9 * grad.abs().max() + 1e-15, name


def test_vllm_importance_sampling_correction_with_token_advantages(tiny_model_dir, tiny_dataset, trainer_args):
    """TRL multiplies the per-token loss by the vLLM importance ratio (token or sequence level): a (B, T) ratio with
    (B, T) advantages broadcasts as with (B,) ones. vLLM does not run on the CPU; the flags are set on the trainer."""
    outcome = build("outcome", tiny_model_dir, tiny_dataset, trainer_args, loss_type="dapo")
    process = build("process", tiny_model_dir, tiny_dataset, trainer_args, loss_type="dapo")
    inputs = fixed_batch(outcome)
    g = torch.Generator().manual_seed(3)
    inputs["importance_sampling_ratio"] = (0.5 + torch.rand(inputs["completion_ids"].shape, generator=g)).double()
    for trainer in (outcome, process):
        trainer.use_vllm = True
        trainer.vllm_importance_sampling_correction = True
    per_token = dict(inputs, advantages=inputs["advantages"].unsqueeze(1).expand_as(inputs["completion_ids"]).clone())
    loss_o, _ = loss_and_grads(outcome, inputs)
    loss_p, _ = loss_and_grads(process, per_token)
    plain, _ = loss_and_grads(build("outcome", tiny_model_dir, tiny_dataset, trainer_args, loss_type="dapo"), inputs)
    assert torch.allclose(loss_p, loss_o, rtol=1e-9) and not torch.allclose(loss_o, plain)


def logp_gradients(trainer, inputs):
    """d loss / d log π(y_t) for every completion token, read off the captured log-probs of the loss call."""
    captured = {}
    original = trainer._get_per_token_logps_and_entropies.__func__

    def capture(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if "logps" not in captured:
            result[0].retain_grad()
            captured["logps"] = result[0]
        return result

    trainer._get_per_token_logps_and_entropies = capture.__get__(trainer)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    trainer.compute_loss(trainer.model, {k: v.clone() for k, v in inputs.items()}).backward()
    return captured["logps"].grad


@pytest.mark.parametrize("loss_type", ["grpo", "dapo", "luspo", "sapo"])
def test_sequence_level_ratio_keeps_token_credit_in_process_mode(loss_type, tiny_model_dir, tiny_dataset, trainer_args):
    """On-policy (old = current, so every ratio is 1 and no clip is active), GSPO-token's gradient on log π(y_t) is
    −A_t / normaliser: two tokens of one completion with advantages 2 and −1 get weights of ratio −2. TRL's
    GSPO (outcome mode, one advantage per row) gives every token of a row the same weight."""
    overrides = {"loss_type": loss_type, "importance_sampling_level": "sequence", "beta": 0.0}
    process = build("process", tiny_model_dir, tiny_dataset, trainer_args, **overrides)
    inputs = fixed_batch(process)
    inputs.pop("old_per_token_logps")  # on-policy
    advantages = torch.zeros(inputs["completion_ids"].shape, dtype=torch.float64)
    advantages[0, 1], advantages[0, 3] = 2.0, -1.0
    advantages[3, :] = 0.5
    grad = logp_gradients(process, dict(inputs, advantages=advantages))
    assert grad[0, 1] == pytest.approx(-2.0 * grad[0, 3].item(), rel=1e-9) and grad[0, 1] < 0
    assert grad[0, 0] == 0 and grad[0, 2] == 0  # tokens with advantage 0 get no policy gradient
    row3 = grad[3][inputs["completion_mask"][3].bool()]
    assert torch.allclose(row3, row3[0].expand_as(row3))  # a constant row: one weight, as in GSPO
    outcome = build("outcome", tiny_model_dir, tiny_dataset, trainer_args, **overrides)
    seq_grad = logp_gradients(outcome, dict(inputs, advantages=torch.tensor([0.25, 0.0, 0.0, 0.5], dtype=torch.float64)))
    row0 = seq_grad[0][inputs["completion_mask"][0].bool()]
    assert torch.allclose(row0, row0[0].expand_as(row0)) and row0[0] < 0


def test_gspo_token_applies_only_to_ratio_gradient_loss_types():
    assert set(RATIO_GRADIENT) == {"grpo", "bnpo", "dr_grpo", "dapo", "luspo", "sapo"}
    assert set(LOSS_TYPES) - set(RATIO_GRADIENT) == {"cispo", "vespo"}  # coefficients detached: credit kept as is


def test_off_policy_mask_branches_on_each_tokens_sign(tiny_model_dir, tiny_dataset, trainer_args):
    """OPSM keeps a token when its advantage is ≥ 0 or its sequence's mean KL to the sampler is below the threshold.
    With (B, T) advantages the sign is read per token: in a high-KL sequence only the negative-advantage tokens drop."""
    process = build("process", tiny_model_dir, tiny_dataset, trainer_args, loss_type="dapo", beta=0.0,
                    off_policy_mask_threshold=1e-6)
    inputs = fixed_batch(process)
    inputs.pop("old_per_token_logps")  # on-policy ratios; the sampler's log-probs drive the mask
    inputs["sampling_per_token_logps"] = inputs["ref_per_token_logps"] + 5.0  # far off: every sequence is high-KL
    advantages = torch.zeros(inputs["completion_ids"].shape, dtype=torch.float64)
    advantages[0, 0], advantages[0, 1] = 1.0, -1.0
    grad = logp_gradients(process, dict(inputs, advantages=advantages))
    assert grad[0, 0] < 0 and grad[0, 1] == 0  # the positive token is kept, the negative one masked
