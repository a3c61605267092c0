"""Per-token KL estimators between the policy π and the reference π_ref.

All functions are pure: tensors in, tensors out. With ``log_r = ref_logps - logps`` evaluated on tokens sampled
from π (Schulman, "Approximating KL Divergence", 2020):

- ``k1 = -log_r``                       unbiased for KL(π‖π_ref), high variance, can be negative;
- ``k2 = 0.5 * log_r**2``               biased, low variance, always ≥ 0;
- ``k3 = exp(log_r) - 1 - log_r``       unbiased, low variance, always ≥ 0 (GRPO, DeepSeekMath eq. 4).

As a *loss*, k1 and k3 give a biased gradient of KL(π‖π_ref), while the gradient of k2 is the unbiased one
(Tang & Munos 2025, arXiv 2506.09477). The straight-through variants ``k1+`` / ``k3+`` report the value of k1 / k3
and back-propagate the gradient of k2: ``k2 - k2.detach() + value.detach()``.
"""

from __future__ import annotations

import torch

KL_ESTIMATORS = ("k1", "k2", "k3", "k1+", "k3+")


def _k1(log_r: torch.Tensor) -> torch.Tensor:
    return -log_r


def _k2(log_r: torch.Tensor) -> torch.Tensor:
    return 0.5 * log_r**2


def _k3(log_r: torch.Tensor) -> torch.Tensor:
    return torch.exp(log_r) - 1 - log_r


def _straight_through(value: torch.Tensor, log_r: torch.Tensor) -> torch.Tensor:
    k2 = _k2(log_r)
    return k2 - k2.detach() + value.detach()


def per_token_kl(logps: torch.Tensor, ref_logps: torch.Tensor, estimator: str = "k3") -> torch.Tensor:
    """Per-token KL estimate of KL(π‖π_ref) on tokens sampled from π.

    Args:
        logps: (N, T) log π(o_t | q, o_<t) of the sampled tokens (carries the gradient).
        ref_logps: (N, T) log π_ref of the same tokens (no gradient needed).
        estimator: one of ``"k1"``, ``"k2"``, ``"k3"``, ``"k1+"``, ``"k3+"``.

    Returns:
        (N, T) per-token estimates; padding positions are not masked here.

    Raises:
        ValueError: unknown ``estimator`` (the message lists the valid names).
    """
    log_r = ref_logps - logps
    if estimator == "k1":
        return _k1(log_r)
    if estimator == "k2":
        return _k2(log_r)
    if estimator == "k3":
        return _k3(log_r)
    if estimator == "k1+":
        return _straight_through(_k1(log_r), log_r)
    if estimator == "k3+":
        return _straight_through(_k3(log_r), log_r)
    raise ValueError(f"unknown KL estimator {estimator!r}; valid estimators: {', '.join(KL_ESTIMATORS)}")
