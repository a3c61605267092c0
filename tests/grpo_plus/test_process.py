"""PRM-hacking guards: step metrics by hand, the separator-avoidance warning, and both in real process-mode runs."""

import logging
import math

import pytest

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.process import SeparatorMonitor, combine_step_scores, step_metrics


def test_step_metrics_by_hand():
    scores = [[1.0, 0.0, None], [0.5], [None]]
    ends = [[2, 2, 6], [3], [0]]  # row 0: steps of 3, 0 (shares token 2) and 4 tokens
    metrics = step_metrics(scores, ends, [7, 4, 1])
    assert metrics["steps/per_completion"] == pytest.approx(5 / 3)
    assert metrics["steps/tokens_per_step"] == pytest.approx((3 + 0 + 4 + 4 + 1) / 5)
    assert metrics["steps/max_tokens_per_step"] == 4
    assert metrics["steps/no_separator_frac"] == pytest.approx(2 / 3)
    assert metrics["steps/reward_mean"] == pytest.approx(0.5)
    assert metrics["steps/reward_std"] == pytest.approx(0.5)  # unbiased std of {1, 0, 0.5}
    assert metrics["steps/reward_min_mean"] == pytest.approx((0.0 + 0.5) / 2)  # row 2 has no graded step


def test_step_metrics_with_nothing_graded():
    metrics = step_metrics([[None]], [[0]], [0])
    assert math.isnan(metrics["steps/reward_mean"]) and math.isnan(metrics["steps/reward_min_mean"])
    assert metrics["steps/tokens_per_step"] == 0


def test_combine_step_scores_weights_and_keeps_ungraded():
    combined = combine_step_scores([[[1.0, None]], [[0.5, None]]], [2.0, 1.0])
    assert combined == [[2.5, None]]


def feed(monitor, values):
    return [monitor.update(*v) for v in values]


def test_monitor_warns_when_steps_halve_then_every_n():
    monitor = SeparatorMonitor(baseline_steps=3, repeat_every=4)
    out = feed(monitor, [(4.0, 0.0)] * 3 + [(2.5, 0.0), (1.9, 0.0), (1.8, 0.0), (1.8, 0.0), (1.8, 0.0), (1.7, 0.0)])
    # baseline 4 steps: 2.5 is above half, 1.9 alarms first, then again 4 calls later
    assert [o is not None for o in out] == [False] * 4 + [True, False, False, False, True]
    assert "1.90 steps per completion" in out[4] and "4.00" in out[4]


def test_monitor_alarm_restarts_after_recovery():
    monitor = SeparatorMonitor(baseline_steps=2, repeat_every=10)
    out = feed(monitor, [(4.0, 0.0), (4.0, 0.0), (1.0, 0.0), (4.0, 0.0), (1.0, 0.0)])
    assert [o is not None for o in out] == [False, False, True, False, True]


def test_monitor_single_step_fraction_doubling_needs_a_real_rise():
    monitor = SeparatorMonitor(baseline_steps=2, min_frac_rise=0.1)
    out = feed(monitor, [(3.0, 0.0), (3.0, 0.0), (3.0, 0.05), (3.0, 0.12)])  # from 0: 5 % is noise, 12 % alarms
    assert [o is not None for o in out] == [False, False, False, True]
    monitor = SeparatorMonitor(baseline_steps=2)
    out = feed(monitor, [(3.0, 0.2), (3.0, 0.2), (3.0, 0.35), (3.0, 0.4)])  # doubled from 20 % to 40 %
    assert [o is not None for o in out] == [False, False, False, True]


def test_monitor_warns_when_steps_per_completion_rise():
    monitor = SeparatorMonitor(baseline_steps=2, rise=1.25)
    out = feed(monitor, [(6.0, 0.0), (6.0, 0.0), (7.4, 0.0), (7.5, 0.0)])  # 7.5 = 1.25 x 6 alarms, 7.4 does not
    assert [o is not None for o in out] == [False, False, False, True]
    assert "may be farming steps: 7.50 steps per completion" in out[3]


def test_monitor_state_round_trip():
    monitor = SeparatorMonitor(baseline_steps=2)
    feed(monitor, [(4.0, 0.0), (4.0, 0.0), (1.0, 0.0)])
    restored = SeparatorMonitor(baseline_steps=2)
    restored.load_state_dict(monitor.state_dict())
    assert restored.baseline() == monitor.baseline() == (4.0, 0.0)
    assert restored.update(1.0, 0.0) is None  # the alarm's repeat counter carried over


# ------------------------------------------------------------------------------------------------ real runs
def word_steps(steps, **kwargs):
    """Step reward: 1 for a step with an even number of characters, else 0 (any deterministic rule works)."""
    return [[float(len(s.strip()) % 2 == 0) for s in row] for row in steps]


word_steps.reward_level = "step"


def test_guard_metrics_in_a_real_process_run(tiny_model_dir, tiny_dataset, trainer_args):
    args = GRPOPlusConfig(**{**trainer_args, "max_steps": 3}, reward_mode="process", step_separator=" ")
    trainer = GRPOPlusTrainer(model=tiny_model_dir, reward_funcs=word_steps, args=args, train_dataset=tiny_dataset)
    trainer.train()
    logs = [h for h in trainer.state.log_history if "steps/per_completion" in h]
    assert len(logs) == 3
    for key in ("steps/tokens_per_step", "steps/max_tokens_per_step", "steps/no_separator_frac", "steps/reward_min_mean"):
        assert all(key in h and not math.isnan(h[key]) for h in logs), key
    assert all(h["steps/max_tokens_per_step"] >= h["steps/tokens_per_step"] > 0 for h in logs)


class StopsSeparating(GRPOPlusTrainer):
    """A policy that writes three steps for its first batches, then one step without a separator."""

    def _generate(self, prompts):
        result = list(super()._generate(prompts))
        text = "ab cd ef" if self.state.global_step < 6 else "abcdef"
        ids = self.processing_class(text, add_special_tokens=False)["input_ids"] + [self.processing_class.eos_token_id]
        result[1], result[3], result[4] = [ids] * len(prompts), [text] * len(prompts), None
        return tuple(result)


def test_warning_fires_when_the_policy_stops_emitting_separators(tiny_model_dir, tiny_dataset, trainer_args, caplog):
    args = GRPOPlusConfig(**{**trainer_args, "max_steps": 9}, reward_mode="process", step_separator=" ")
    trainer = StopsSeparating(model=tiny_model_dir, reward_funcs=word_steps, args=args, train_dataset=tiny_dataset)
    with caplog.at_level(logging.WARNING, logger="grpo_plus.process"):
        trainer.train()
    warnings = [r.getMessage() for r in caplog.records if "avoiding the step separator" in r.getMessage()]
    assert len(warnings) == 1  # fired at step 7, not repeated within 50 steps
    assert "1.00 steps per completion" in warnings[0] and "3.00" in warnings[0]
    per_completion = [h["steps/per_completion"] for h in trainer.state.log_history if "steps/per_completion" in h]
    assert per_completion == [3.0] * 6 + [1.0] * 3
    frac = [h["steps/no_separator_frac"] for h in trainer.state.log_history if "steps/no_separator_frac" in h]
    assert frac == [0.0] * 6 + [1.0] * 3
