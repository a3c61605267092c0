"""Adaptive KL controller: hand-computed β trajectories, the ±0.2 clip, n/horizon scaling, checkpoint state."""

import json
import logging
import math

import pytest

from grpo_plus.kl_control import DEFAULT_HORIZON, KLController, adaptive_beta


def test_hand_computed_trajectory_both_directions_and_the_clip():
    # target 0.05, horizon 1000, 100 samples per update: K_β = n / horizon = 0.1 (Ziegler et al.'s value)
    controller = KLController(beta=0.1, target=0.05, horizon=1000)
    steps = [
        # (kl, e = clip(kl / 0.05 - 1, ±0.2) by hand, β after the update = β · (1 + 0.1 e) by hand)
        (0.055, 0.1, 0.101),  # KL above target: β grows 1 %
        (0.5, 0.2, 0.10302),  # e = 9 clipped to +0.2: × 1.02
        (0.0, -0.2, 0.1009596),  # e = -1 clipped to -0.2: × 0.98
        (0.045, -0.1, 0.099950004),  # KL below target: × 0.99
        (0.05, 0.0, 0.099950004),  # on target: unchanged
    ]
    beta = 0.1
    for kl, error, by_hand in steps:
        expected = beta * (1 + 0.1 * error)
        beta = controller.update(kl, 100)
        assert beta == pytest.approx(expected, rel=1e-12)
        assert beta == pytest.approx(by_hand, rel=1e-9)
        assert controller.beta == beta


def test_direction_follows_the_sign_of_the_error():
    assert adaptive_beta(0.2, kl=0.3, target=0.1, horizon=100, n=10) > 0.2
    assert adaptive_beta(0.2, kl=0.01, target=0.1, horizon=100, n=10) < 0.2
    assert adaptive_beta(0.2, kl=0.1, target=0.1, horizon=100, n=10) == pytest.approx(0.2)


def test_clip_bounds_the_step_whatever_the_kl():
    # e saturates at ±0.2, so β' ∈ [β (1 - 0.2 n/h), β (1 + 0.2 n/h)] = [0.98, 1.02] for n/h = 0.1
    for kl in (0.061, 0.1, 5.0, 1e6):
        assert adaptive_beta(1.0, kl, target=0.05, horizon=1000, n=100) == pytest.approx(1.02)
    for kl in (0.039, 0.0, -3.0):  # a negative k1 mean saturates too
        assert adaptive_beta(1.0, kl, target=0.05, horizon=1000, n=100) == pytest.approx(0.98)
    # just inside the clip: e = 0.06 / 0.05 - 1 = 0.2 exactly at the boundary (up to rounding)
    assert adaptive_beta(1.0, 0.06, target=0.05, horizon=1000, n=100) == pytest.approx(1.02)


def test_step_scales_with_samples_over_horizon():
    # e = 0.1; β' - β = β · 0.1 · n / horizon
    cases = [(0, 1000, 1.0), (100, 1000, 1.01), (200, 1000, 1.02), (200, 2000, 1.01), (1, 10000, 1.00001)]
    for n, horizon, expected in cases:
        assert adaptive_beta(1.0, 0.055, target=0.05, horizon=horizon, n=n) == pytest.approx(expected, rel=1e-12)


def test_many_small_updates_approach_the_exponential():
    # horizon samples at saturated error in updates of n: (1 + 0.2 n/h)^(h/n) → e^0.2 as n/h → 0
    controller = KLController(beta=1.0, target=0.01)
    assert controller.horizon == DEFAULT_HORIZON == 10000
    for _ in range(1000):
        controller.update(1.0, 10)
    assert controller.beta == pytest.approx((1 + 0.2 * 10 / 10000) ** 1000)
    assert controller.beta == pytest.approx(math.exp(0.2), rel=1e-3)


def test_beta_zero_stays_zero_in_the_pure_function():
    assert adaptive_beta(0.0, 1.0, target=0.1, horizon=100, n=10) == 0.0


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"target": 0.0}, "target"),
        ({"target": -0.1}, "target"),
        ({"target": math.nan}, "target"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": -5}, "horizon"),
        ({"n": -1}, "n "),
        ({"kl": math.nan}, "kl"),
        ({"kl": math.inf}, "kl"),
        ({"beta": -0.1}, "beta"),
        ({"n": 500, "horizon": 100}, "n / horizon"),
    ],
)
def test_pure_function_rejects_bad_input_naming_the_argument(kwargs, field):
    args = {"beta": 0.1, "kl": 0.1, "target": 0.1, "horizon": 100, "n": 10} | kwargs
    with pytest.raises(ValueError, match=field):
        adaptive_beta(**args)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"target": 0.0}, "target"),
        ({"target": -1.0}, "target"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": -10}, "horizon"),
        ({"beta": 0.0}, "beta"),
        ({"beta": "0.1"}, "beta"),
        ({"target": True}, "target"),
    ],
)
def test_controller_validates_its_fields(kwargs, field):
    with pytest.raises(ValueError, match=field):
        KLController(**({"beta": 0.1, "target": 0.1, "horizon": 100} | kwargs))


def test_state_round_trip_continues_identically():
    original = KLController(beta=0.05, target=0.02, horizon=500)
    for kl in (0.03, 0.01, 0.5):
        original.update(kl, 20)
    state = json.loads(json.dumps(original.state_dict()))  # checkpoints store plain JSON
    assert state == {"beta": original.beta, "target": 0.02, "horizon": 500}
    restored = KLController(beta=1.0, target=0.02, horizon=500)
    restored.load_state_dict(state)
    assert restored == original
    for kl in (0.0, 0.025, 0.04):
        assert restored.update(kl, 20) == original.update(kl, 20)


def test_checkpoint_target_and_horizon_win_with_a_warning(caplog):
    saved = KLController(beta=0.3, target=0.05, horizon=2000).state_dict()
    current = KLController(beta=0.1, target=0.1, horizon=2000)
    with caplog.at_level(logging.WARNING, logger="grpo_plus.kl_control"):
        current.load_state_dict(saved)
    assert (current.beta, current.target, current.horizon) == (0.3, 0.05, 2000)
    assert "target" in caplog.text and "horizon" not in caplog.text.split("overrides")[1].split(":")[0]


@pytest.mark.parametrize(
    "state,match",
    [
        ({"beta": 0.1, "target": 0.1}, "missing: \\['horizon'\\]"),
        ({"beta": 0.1, "target": 0.1, "horizon": 10, "step": 3}, "unknown: \\['step'\\]"),
        ({"beta": -0.1, "target": 0.1, "horizon": 10}, "beta"),
        ({"beta": 0.1, "target": 0.0, "horizon": 10}, "target"),
    ],
)
def test_load_state_dict_rejects_bad_state(state, match):
    controller = KLController(beta=0.1, target=0.1, horizon=10)
    with pytest.raises(ValueError, match=match):
        controller.load_state_dict(state)
    assert controller.state_dict() == {"beta": 0.1, "target": 0.1, "horizon": 10}  # unchanged on failure


# ------------------------------------------------------------------------------------------ in the trainer
@pytest.mark.parametrize("kl_in_reward", [False, True], ids=["kl_in_loss", "kl_in_reward"])
def test_trainer_moves_beta_by_the_formula(kl_in_reward, tiny_model_dir, tiny_dataset, trainer_args):
    """β_{t+1} = β_t · (1 + clip(KL_t / target − 1, −0.2, 0.2) · n / horizon), with KL_t the step's logged token-mean
    KL and n its 8 completions; the logged 'beta' is the β the step used."""
    from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer

    def length_reward(completions, **kwargs):
        return [float(len(c)) for c in completions]

    target, horizon, n = 0.05, 16, trainer_args["per_device_train_batch_size"]
    args = GRPOPlusConfig(
        **{**trainer_args, "max_steps": 5, "learning_rate": 0.05, "beta": 0.1},
        kl_target=target, kl_horizon=horizon, kl_in_reward=kl_in_reward,
    )  # fmt: skip
    trainer = GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=length_reward, args=args, train_dataset=tiny_dataset)
    trainer.train()
    logs = [h for h in trainer.state.log_history if "beta" in h]
    assert len(logs) == 5 and logs[0]["beta"] == pytest.approx(0.1)
    betas = [h["beta"] for h in logs] + [trainer.beta]
    directions = set()
    for t, h in enumerate(logs):
        error = min(max(h["kl"] / target - 1, -0.2), 0.2)
        assert betas[t + 1] == pytest.approx(betas[t] * (1 + error * n / horizon), rel=1e-5), t
        directions.add(error > 0)
    assert directions == {False, True}  # β went down while KL was below the target (step 1: KL 0), up above it
    assert trainer.kl_controller.beta == trainer.beta
