"""Adaptive KL coefficient: the proportional controller of Ziegler et al. 2019 (arXiv 1909.08593, §2.2).

The KL coefficient β is steered so that the measured KL(π‖π_ref) tracks a target:

    e_t     = clip(KL_t / KL_target − 1, −0.2, 0.2)
    β_{t+1} = β_t · (1 + K_β · e_t),        K_β = n / horizon

where n is the number of *samples* (completions) the update accounts for, not a number of optimiser steps.
Ziegler et al. write K_β = 0.1; their code (openai/lm-human-preferences, ``train_policy.py``) and every
reimplementation read here compute K_β as n / horizon with n the batch size in samples:

- verl 0.8.0.dev (``verl/trainer/ppo/core_algos.py`` ``AdaptiveKLController``, called from ``apply_kl_penalty`` in
  ``verl/trainer/ppo/ray_trainer.py`` with ``n_steps = data.batch.batch_size[0]``): n = responses in the training
  batch, one update per training step, KL in the reward only (its KL loss uses a fixed ``kl_loss_coef``); the KL
  fed in is the batch mean of per-sequence token-mean KL. Defaults ``horizon=10000``, ``target_kl=0.1``.
- OpenRLHF (``openrlhf/trainer/ppo_utils/kl_controller.py``, called from ``openrlhf/trainer/ppo_trainer.py`` with
  ``rollout.batch_size * rollout.n_samples_per_prompt``): n = samples per rollout, one update per rollout, the
  same β serving KL in the reward and KL in the loss. Defaults ``--algo.kl.horizon 10000``, target None (fixed β).

The rule is multiplicative, so β = 0 stays 0; one update moves β by at most a factor 1 ± 0.2·n/horizon.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from numbers import Real
from typing import Any

logger = logging.getLogger(__name__)

PROPORTIONAL_CLIP = 0.2  # |e_t| ≤ 0.2 (Ziegler et al. 2019, §2.2)
DEFAULT_HORIZON = 10000  # verl, OpenRLHF and lm-human-preferences
_STATE_KEYS = ("beta", "target", "horizon")


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_target(target: float) -> None:
    if not _is_number(target) or not math.isfinite(target) or target <= 0:
        raise ValueError(f"target (the KL target) must be a finite number > 0, got {target!r}")


def _check_horizon(horizon: float) -> None:
    if not _is_number(horizon) or not math.isfinite(horizon) or horizon <= 0:
        raise ValueError(f"horizon must be a finite number > 0 (samples), got {horizon!r}")


def adaptive_beta(beta: float, kl: float, target: float, horizon: float, n: float) -> float:
    """One step of the proportional KL controller, Ziegler et al. 2019 (arXiv 1909.08593, §2.2).

    β' = β · (1 + clip(kl / target − 1, −0.2, 0.2) · n / horizon), the update of verl's and OpenRLHF's
    ``AdaptiveKLController`` (same operation order).

    Args:
        beta: current coefficient β ≥ 0.
        kl: measured KL(π‖π_ref) of the samples this update accounts for (any finite value; a negative k1
            estimate simply saturates the error at −0.2).
        target: the KL target, > 0.
        horizon: samples over which a saturated error (±0.2) changes β by about a factor e^{±0.2}; > 0.
        n: samples (completions) consumed since the previous update, ≥ 0 — not steps (see the module docstring).

    Returns:
        The new β (a Python float).

    Raises:
        ValueError: a non-finite or negative ``beta``; non-finite ``kl``; ``target`` or ``horizon`` not > 0;
            negative ``n``; or ``n / horizon ≥ 5``, where one update at error −0.2 would make β ≤ 0.
    """
    if not _is_number(beta) or not math.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be a finite number ≥ 0, got {beta!r}")
    if not _is_number(kl) or not math.isfinite(kl):
        raise ValueError(f"kl must be a finite number, got {kl!r}")
    _check_target(target)
    _check_horizon(horizon)
    if not _is_number(n) or not math.isfinite(n) or n < 0:
        raise ValueError(f"n (samples since the last update) must be a finite number ≥ 0, got {n!r}")
    if PROPORTIONAL_CLIP * n / horizon >= 1:
        raise ValueError(
            f"n / horizon = {n}/{horizon} ≥ {1 / PROPORTIONAL_CLIP:g}: one update could drive beta to ≤ 0; "
            "use a horizon larger than 5 × the samples per update"
        )
    error = min(max(kl / target - 1.0, -PROPORTIONAL_CLIP), PROPORTIONAL_CLIP)
    return float(beta * (1.0 + error * n / horizon))


@dataclass
class KLController:
    """Checkpointable state of the adaptive KL controller (Ziegler et al. 2019, arXiv 1909.08593, §2.2).

    Attributes:
        beta: current KL coefficient β, > 0 (a multiplicative rule cannot move β = 0).
        target: KL target, > 0.
        horizon: horizon in samples, > 0 (default 10000 as in verl and OpenRLHF).
    """

    beta: float
    target: float
    horizon: float = DEFAULT_HORIZON

    def __post_init__(self) -> None:
        if not _is_number(self.beta) or not math.isfinite(self.beta) or self.beta <= 0:
            raise ValueError(
                f"beta must be a finite number > 0 for the adaptive KL controller (β = 0 never moves under a "
                f"multiplicative update), got {self.beta!r}"
            )
        _check_target(self.target)
        _check_horizon(self.horizon)

    def update(self, kl: float, n: float) -> float:
        """Apply :func:`adaptive_beta` with measured ``kl`` over ``n`` samples; store and return the new β."""
        self.beta = adaptive_beta(self.beta, kl, self.target, self.horizon, n)
        return self.beta

    def state_dict(self) -> dict[str, float]:
        """Plain-float state (JSON-serialisable) for a checkpoint."""
        return {"beta": float(self.beta), "target": float(self.target), "horizon": self.horizon}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore β, target and horizon from :meth:`state_dict`'s output.

        The checkpoint wins: if its target or horizon differ from the current ones (a run resumed with a changed
        config), the checkpoint's values are used and a warning names the fields.

        Raises:
            ValueError: missing or unknown keys, or values that fail the constructor's checks.
        """
        missing = [key for key in _STATE_KEYS if key not in state]
        unknown = sorted(set(state) - set(_STATE_KEYS))
        if missing or unknown:
            raise ValueError(
                f"KLController state must have exactly the keys {', '.join(_STATE_KEYS)}; "
                f"missing: {missing or 'none'}, unknown: {unknown or 'none'}"
            )
        restored = KLController(beta=state["beta"], target=state["target"], horizon=state["horizon"])
        changed = [key for key in ("target", "horizon") if getattr(self, key) != getattr(restored, key)]
        if changed:
            logger.warning(
                "KL controller checkpoint overrides %s: %s (checkpoint) instead of %s (current)",
                ", ".join(changed),
                [getattr(restored, key) for key in changed],
                [getattr(self, key) for key in changed],
            )
        self.beta, self.target, self.horizon = restored.beta, restored.target, restored.horizon
