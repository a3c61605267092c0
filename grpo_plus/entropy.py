"""KL-Cov and Clip-Cov: covariance-based token selection against entropy collapse.

Cui et al. 2025, "The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models", arXiv 2505.22617.
The entropy change under policy gradient is driven by the covariance between a token's log-probability and its
advantage; the few tokens with the largest covariance are the ones that collapse entropy. Over the N valid tokens
y_1..y_N of a batch, the per-token centred covariance is

    Cov(y_i) = (log π(y_i) − mean_j log π(y_j)) · (A(y_i) − mean_j A(y_j)),

both means taken over the valid tokens (so with sequence-level advantages of shape (B,) every token of a sequence
carries its sequence's advantage and longer sequences weigh more in mean A). Then

- **Clip-Cov**: draw uniformly at random ⌊r·N⌋ (at least 1) tokens among those with lb < Cov < ub and remove their
  policy-gradient term (their loss term is zeroed; the normaliser is unchanged);
- **KL-Cov**: take the ⌊k·N⌋ (at least 1) tokens with the largest Cov and replace their loss by
  −A·ρ + β_cov·|log π − log π_old| (ρ = π/π_old); every other token keeps the surrogate −A·ρ.

The semantics follow verl 0.8.0.dev (repository volcengine/verl, commit b178a3c, 2026-01-29),
``verl/trainer/ppo/core_algos.py`` ``compute_policy_loss_clip_cov`` / ``compute_policy_loss_kl_cov``, themselves
adapted from the paper's code (PRIME-RL/Entropy-Mechanism-of-RL):

- count: ``max(1, int(ratio · N))`` (floor of the float product, at least one token) whenever N > 0; verl asserts
  ratio > 0, here ``ratio = 0`` selects nothing (an off switch);
- Clip-Cov band: strict inequalities lb < Cov < ub, as verl (a covariance exactly on a bound is not selected);
  tokens whose PPO clip is already active (:func:`clipped_tokens`) are excluded from the draw, as verl's
  ``clip_by_origin``; N counts all valid tokens, excluded ones included; the draw is a ``torch.randperm`` over the
  candidates in row-major order — with the same generator state it picks verl's tokens;
- KL-Cov ties: verl's ``torch.topk`` leaves the order of equal covariances unspecified; here ties go to the earlier
  token in row-major order (lower sequence index, then lower position), so the selection is deterministic on every
  device. A NaN on a valid token makes every covariance NaN, and then nothing is selected;
- covariance: computed from the detached current log-probs and the advantages, in at least float32, over the tokens
  of the call (verl calls the loss per micro-batch on each data-parallel rank, with no gather).

Defaults are verl's ``PolicyLossConfig`` (``verl/workers/config/actor.py``, mirrored in
``verl/trainer/config/actor/actor.yaml``): ``clip_cov_ratio=0.0002``, ``clip_cov_lb=1.0``, ``clip_cov_ub=5.0``,
``kl_cov_ratio=0.0002``, ``ppo_kl_coef=0.1``. (The paper's recipes pass ``ppo_kl_coef=1`` and, for the 7B model,
KL-Cov k = 0.002; verl's functions fall back to ``ppo_kl_coef=1.0`` only when called without a config.)

Padding never enters: every function takes a (B, T) mask (any dtype; nonzero = valid) and ignores the values of the
other positions entirely, even if they are NaN or infinite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

ENTROPY_CONTROLS = ("kl_cov", "clip_cov")
KL_COV_RATIO = 0.0002
KL_COV_COEF = 0.1
CLIP_COV_RATIO = 0.0002
CLIP_COV_BOUNDS = (1.0, 5.0)
# TRL loss types whose per-token loss is the PPO clipped surrogate −min(ρA, clip(ρ)A), the objective KL-Cov and
# Clip-Cov are defined on (trl/trainer/grpo_trainer.py, GRPOTrainer._compute_loss). cispo (truncated-IS REINFORCE),
# sapo (soft gate) and vespo (sequence-level gamma weights) have no such per-token surrogate.
SUPPORTED_LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo", "luspo")


def _check_shapes(logps: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Validate (B, T) log-probs and mask; return advantages broadcast to (B, T)."""
    if logps.dim() != 2:
        raise ValueError(f"logps must be (B, T), got shape {tuple(logps.shape)}")
    if mask.shape != logps.shape:
        raise ValueError(f"mask must have the shape of logps {tuple(logps.shape)}, got {tuple(mask.shape)}")
    if advantages.dim() == 1:
        advantages = advantages.unsqueeze(1)
    if advantages.dim() != 2 or advantages.size(0) != logps.size(0) or advantages.size(1) not in (1, logps.size(1)):
        raise ValueError(
            f"advantages must be (B,), (B, 1) or (B, T) with B, T = {tuple(logps.shape)}, "
            f"got {tuple(advantages.shape)}"
        )
    return advantages.expand_as(logps)


def _check_ratio(name: str, ratio: float) -> None:
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0.0 <= ratio <= 1.0:
        raise ValueError(f"{name} must be a fraction of the valid tokens in [0, 1], got {ratio!r}")


def _check_bounds(bounds: Sequence[float]) -> tuple[float, float]:
    if len(bounds) != 2 or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds):
        raise ValueError(f"clip_cov_bounds must be two numbers (lb, ub), got {bounds!r}")
    lower, upper = float(bounds[0]), float(bounds[1])
    if math.isnan(lower) or math.isnan(upper) or not lower < upper:
        raise ValueError(f"clip_cov_bounds (lb, ub) needs lb < ub, got {bounds!r}")
    return lower, upper


def selection_count(ratio: float, num_valid: int) -> int:
    """How many tokens KL-Cov / Clip-Cov select among ``num_valid``: ``max(1, int(ratio · num_valid))``.

    Cui et al. 2025 (arXiv 2505.22617): k·N resp. r·N tokens; the floor and the minimum of one are verl's
    (``max(1, int(...))`` in ``compute_policy_loss_kl_cov`` / ``_clip_cov``). Returns 0 when ``ratio == 0`` or
    ``num_valid == 0``.

    Raises:
        ValueError: ``ratio`` outside [0, 1] or ``num_valid`` negative.
    """
    _check_ratio("ratio", ratio)
    if num_valid < 0:
        raise ValueError(f"num_valid must be ≥ 0, got {num_valid}")
    if ratio == 0 or num_valid == 0:
        return 0
    return max(1, int(ratio * num_valid))


def token_covariance(logps: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-token centred covariance between log-probability and advantage, Cui et al. 2025 (arXiv 2505.22617).

    Cov(y_i) = (log π(y_i) − mean log π) · (A(y_i) − mean A), both means over the valid tokens.

    Args:
        logps: (B, T) log π of the sampled tokens under the current policy (detached here).
        advantages: (B,), (B, 1) or (B, T) advantages; sequence-level ones are broadcast over the tokens.
        mask: (B, T), nonzero for valid tokens.

    Returns:
        (B, T) covariances in ``promote_types(logps.dtype, float32)``; 0 at padding (and everywhere when no token is
        valid).

    Raises:
        ValueError: shapes that do not match.
    """
    advantages = _check_shapes(logps, advantages, mask)
    dtype = torch.promote_types(logps.dtype, torch.float32)
    valid = mask.bool()
    out = torch.zeros(logps.shape, dtype=dtype, device=logps.device)
    if not bool(valid.any()):
        return out
    lp = logps.detach()[valid].to(dtype)
    adv = advantages.detach()[valid].to(dtype)
    out[valid] = (lp - lp.mean()) * (adv - adv.mean())
    return out


def _selection(logps, advantages, mask, ratio) -> tuple[torch.Tensor, int, torch.Tensor]:
    """What both selections start from: the valid tokens (B, T) bool, how many to select, an empty (B, T) selection."""
    _check_shapes(logps, advantages, mask)
    valid = mask.bool()
    count = selection_count(ratio, int(valid.sum()))
    return valid, count, torch.zeros(logps.shape, dtype=torch.bool, device=logps.device)


def kl_cov_select(
    logps: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor, ratio: float = KL_COV_RATIO
) -> torch.Tensor:
    """KL-Cov selection, Cui et al. 2025 (arXiv 2505.22617): the top ``ratio`` fraction of valid tokens by Cov.

    Count ``max(1, int(ratio · N))`` for N valid tokens (N > 0, ratio > 0); ties go to the earlier token in row-major
    order; NaN covariances (a NaN log-prob or advantage on a valid token makes them all NaN) are never selected.

    Args:
        logps: (B, T) current log-probs of the sampled tokens.
        advantages: (B,), (B, 1) or (B, T).
        mask: (B, T), nonzero for valid tokens.
        ratio: fraction k of the valid tokens, in [0, 1] (verl's ``kl_cov_ratio``, default 0.0002).

    Returns:
        (B, T) bool, True on the selected tokens (never on padding).
    """
    valid, count, selected = _selection(logps, advantages, mask, ratio)
    if count == 0:
        return selected
    cov = token_covariance(logps, advantages, mask).reshape(-1)
    candidates = torch.nonzero(valid.reshape(-1) & ~torch.isnan(cov), as_tuple=True)[0]
    order = torch.sort(cov[candidates], descending=True, stable=True).indices[:count]
    selected.view(-1)[candidates[order]] = True
    return selected


def clipped_tokens(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    advantages: torch.Tensor,
    epsilon_low: float,
    epsilon_high: float,
) -> torch.Tensor:
    """Tokens whose PPO clip is active: −A·clip(ρ, 1−ε_low, 1+ε_high) > −A·ρ, ρ = exp(logps − old_logps).

    verl's ``clip_by_origin`` in ``compute_policy_loss_clip_cov`` (Clip-Cov leaves these out of its draw). Equal to
    TRL's ``is_region_clipped``: (A > 0 and ρ > 1+ε_high) or (A < 0 and ρ < 1−ε_low).

    Args:
        logps: (B, T) current log-probs. old_logps: (B, T) log-probs of the sampling policy.
        advantages: (B,), (B, 1) or (B, T). epsilon_low, epsilon_high: the clip range.

    Returns:
        (B, T) bool (padding is not masked here; pass the result as ``exclude`` to :func:`clip_cov_select`).
    """
    if old_logps.shape != logps.shape:
        raise ValueError(f"old_logps must have the shape of logps {tuple(logps.shape)}, got {tuple(old_logps.shape)}")
    advantages = _check_shapes(logps, advantages, torch.ones_like(logps, dtype=torch.bool))
    with torch.no_grad():
        ratio = torch.exp(logps - old_logps)
        unclipped = -advantages * ratio
        clipped = -advantages * torch.clamp(ratio, 1 - epsilon_low, 1 + epsilon_high)
    return clipped > unclipped


def clip_cov_select(
    logps: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    ratio: float = CLIP_COV_RATIO,
    bounds: Sequence[float] = CLIP_COV_BOUNDS,
    *,
    generator: torch.Generator | None = None,
    exclude: torch.Tensor | None = None,
) -> torch.Tensor:
    """Clip-Cov selection, Cui et al. 2025 (arXiv 2505.22617): a random subset of the tokens with lb < Cov < ub.

    Candidates are the valid tokens with lb < Cov < ub that are not in ``exclude``; ``min(count, #candidates)`` of
    them are drawn uniformly without replacement, count = ``max(1, int(ratio · N))`` with N all valid tokens.
    The draw is ``torch.randperm(#candidates, generator=generator)`` over the candidates in row-major order, so a
    seeded generator makes it reproducible (``None`` uses torch's default generator, as verl does).

    Args:
        logps: (B, T) current log-probs of the sampled tokens.
        advantages: (B,), (B, 1) or (B, T).
        mask: (B, T), nonzero for valid tokens.
        ratio: fraction r of the valid tokens, in [0, 1] (verl's ``clip_cov_ratio``, default 0.0002).
        bounds: (lb, ub), lb < ub, open interval (verl's ``clip_cov_lb`` / ``clip_cov_ub``, default (1.0, 5.0)).
        generator: source of the random draw; it is advanced only when there is at least one candidate.
        exclude: optional (B, T) bool, tokens that may not be drawn (verl: :func:`clipped_tokens`).

    Returns:
        (B, T) bool, True on the selected tokens (never on padding).
    """
    lower, upper = _check_bounds(bounds)
    valid, count, selected = _selection(logps, advantages, mask, ratio)
    if count == 0:
        return selected
    cov = token_covariance(logps, advantages, mask)
    eligible = valid & (cov > lower) & (cov < upper)
    if exclude is not None:
        if exclude.shape != logps.shape:
            raise ValueError(f"exclude must have the shape of logps {tuple(logps.shape)}, got {tuple(exclude.shape)}")
        eligible = eligible & ~exclude.bool()
    candidates = torch.nonzero(eligible.reshape(-1), as_tuple=True)[0]
    if candidates.numel() == 0:
        return selected
    device = generator.device if generator is not None else torch.device("cpu")
    perm = torch.randperm(candidates.numel(), generator=generator, device=device)[:count].to(candidates.device)
    selected.view(-1)[candidates[perm]] = True
    return selected


def kl_cov_token_loss(
    logps: torch.Tensor, old_logps: torch.Tensor, advantages: torch.Tensor, kl_coef: float = KL_COV_COEF
) -> torch.Tensor:
    """KL-Cov's per-token loss for the selected tokens: −A·ρ + β_cov·|log π − log π_old|, ρ = π/π_old.

    Cui et al. 2025 (arXiv 2505.22617), KL-Cov objective; the |log-ratio| estimate of KL(π_old‖π) is verl's
    (``pg_losses_kl`` in ``compute_policy_loss_kl_cov``). Note that on-policy (``old_logps = logps.detach()``) the
    penalty is 0 with zero gradient (the gradient of |x| at 0 is 0), so KL-Cov only acts once π has moved from
    π_old (num_iterations > 1, or more generation steps than accumulation steps).

    Args:
        logps: (B, T) current log-probs (carry the gradient).
        old_logps: (B, T) log-probs of the sampling policy.
        advantages: (B,), (B, 1) or (B, T).
        kl_coef: β_cov ≥ 0 (verl's ``ppo_kl_coef``, default 0.1).

    Returns:
        (B, T) per-token loss; padding is not masked here (aggregate with the loss mask).
    """
    if old_logps.shape != logps.shape:
        raise ValueError(f"old_logps must have the shape of logps {tuple(logps.shape)}, got {tuple(old_logps.shape)}")
    if isinstance(kl_coef, bool) or not isinstance(kl_coef, (int, float)) or not kl_coef >= 0:
        raise ValueError(f"kl_cov_coef must be a number ≥ 0, got {kl_coef!r}")
    advantages = _check_shapes(logps, advantages, torch.ones_like(logps, dtype=torch.bool))
    log_ratio = logps - old_logps
    return -advantages * torch.exp(log_ratio) + kl_coef * log_ratio.abs()


def keep_mask(selected: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Clip-Cov's loss mask: valid tokens that keep their policy-gradient term, ``mask & ~selected``.

    Args:
        selected: (B, T) bool from :func:`clip_cov_select` (or :func:`kl_cov_select`). mask: (B, T) loss mask.

    Returns:
        (B, T) bool. Multiplying a per-token loss by it, with the normaliser left unchanged, is verl's ``corr``.
    """
    if selected.shape != mask.shape:
        raise ValueError(f"selected must have the shape of mask {tuple(mask.shape)}, got {tuple(selected.shape)}")
    return mask.bool() & ~selected.bool()


def validate_entropy_control(
    entropy_control: str | None,
    loss_type: str,
    importance_sampling_level: str = "token",
    *,
    kl_cov_ratio: float = KL_COV_RATIO,
    kl_cov_coef: float = KL_COV_COEF,
    clip_cov_ratio: float = CLIP_COV_RATIO,
    clip_cov_bounds: Sequence[float] = CLIP_COV_BOUNDS,
) -> None:
    """Config-time check of the KL-Cov / Clip-Cov options (messages name the config fields).

    Raises:
        ValueError: unknown ``entropy_control``; a ``loss_type`` outside :data:`SUPPORTED_LOSS_TYPES`;
            ``importance_sampling_level`` other than ``"token"`` (both methods act on token-level ratios); a ratio
            outside [0, 1]; a negative ``kl_cov_coef``; ``clip_cov_bounds`` that are not lb < ub.
    """
    if entropy_control is None:
        return
    if entropy_control not in ENTROPY_CONTROLS:
        raise ValueError(
            f"entropy_control must be one of {', '.join(map(repr, ENTROPY_CONTROLS))} or None, got {entropy_control!r}"
        )
    if loss_type not in SUPPORTED_LOSS_TYPES:
        raise ValueError(
            f"entropy_control={entropy_control!r} is defined for the clipped-surrogate loss types "
            f"(loss_type in {', '.join(SUPPORTED_LOSS_TYPES)}), got loss_type={loss_type!r}"
        )
    if importance_sampling_level != "token":
        raise ValueError(
            f"entropy_control={entropy_control!r} needs token-level importance ratios "
            f"(importance_sampling_level='token'), got importance_sampling_level={importance_sampling_level!r}"
        )
    if entropy_control == "kl_cov":
        _check_ratio("kl_cov_ratio", kl_cov_ratio)
        if isinstance(kl_cov_coef, bool) or not isinstance(kl_cov_coef, (int, float)) or not kl_cov_coef >= 0:
            raise ValueError(f"kl_cov_coef must be a number ≥ 0, got {kl_cov_coef!r}")
    else:
        _check_ratio("clip_cov_ratio", clip_cov_ratio)
        _check_bounds(clip_cov_bounds)


def select_tokens(
    control: str,
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    ratio: float,
    bounds: Sequence[float] = CLIP_COV_BOUNDS,
    generator: torch.Generator | None = None,
    clip: tuple[float, float] = (0.2, 0.2),
) -> torch.Tensor:
    """The tokens ``control`` acts on: :func:`kl_cov_select`, or :func:`clip_cov_select` leaving out the tokens
    whose PPO clip (ε_low, ε_high) = ``clip`` is already active (verl's ``clip_by_origin``).

    Args:
        control: ``"kl_cov"`` or ``"clip_cov"``. logps, old_logps: (B, T). advantages: (B,), (B, 1) or (B, T).
        mask: (B, T). ratio: the method's token fraction. bounds, generator: Clip-Cov's band and random source.

    Returns:
        (B, T) bool.
    """
    if control == "kl_cov":
        return kl_cov_select(logps, advantages, mask, ratio)
    if control != "clip_cov":
        raise ValueError(f"entropy_control must be one of {', '.join(map(repr, ENTROPY_CONTROLS))}, got {control!r}")
    exclude = clipped_tokens(logps, old_logps, advantages, *clip) & mask.bool()
    return clip_cov_select(logps, advantages, mask, ratio, bounds, generator=generator, exclude=exclude)
