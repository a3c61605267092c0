"""What the trainer adds to TRL's policy loss: the aggregation of a per-token term, GSPO-token's ratio (pure
functions), and :class:`LossCall`, the state of one adapted loss call.

Notation: B completions in the micro-batch, T completion tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from grpo_plus.scoring import ScoredBatch

MEAN_PER_SEQUENCE = ("grpo", "sapo")
MEAN_PER_TOKEN = ("bnpo",)
TOKEN_SUM_OVER_ITEMS = ("cispo", "dapo", "vespo")
# Loss types whose gradient flows through the importance ratio (TRL's clipped surrogate and SAPO's soft gate). With a
# sequence-level ratio (GSPO) they give every token of a completion the same gradient weight; CISPO and VESPO detach
# their coefficients and differentiate log π(y_t) directly, so they keep token-level credit at either level.
RATIO_GRADIENT = ("grpo", "bnpo", "dr_grpo", "dapo", "luspo", "sapo")


def aggregate_token_loss(
    per_token: torch.Tensor,
    mask: torch.Tensor,
    loss_type: str,
    *,
    accumulation_steps: float = 1.0,
    max_completion_length: int | None = None,
    num_items_normalizer: torch.Tensor | float | None = None,
) -> torch.Tensor:
    """Reduce a per-token loss to a scalar exactly as TRL's GRPOTrainer does for ``loss_type``.

    Every TRL aggregation is linear in the per-token loss, so a term aggregated here and added to TRL's loss equals
    TRL's loss computed with that term added per token.

    Args:
        per_token: (B, T) per-token loss term (e.g. β·kl_t).
        mask: (B, T) 1 for tokens in the loss.
        loss_type: a TRL loss type.
        accumulation_steps: divisor for gradient accumulation (grpo, sapo, bnpo, dr_grpo, luspo).
        max_completion_length: L in Dr. GRPO's constant normaliser B·L.
        num_items_normalizer: the token count normaliser of cispo / dapo / vespo (already divided by the number
            of processes and scaled to one accumulation window, as TRL does).

    Returns:
        () scalar.
    """
    masked = per_token * mask
    if loss_type in MEAN_PER_SEQUENCE:
        return (masked.sum(-1) / mask.sum(-1).clamp(min=1.0)).mean() / accumulation_steps
    if loss_type in MEAN_PER_TOKEN:
        return masked.sum() / mask.sum().clamp(min=1.0) / accumulation_steps
    if loss_type == "dr_grpo":
        return masked.sum() / (per_token.size(0) * max_completion_length) / accumulation_steps
    if loss_type in TOKEN_SUM_OVER_ITEMS:
        return masked.sum() / num_items_normalizer
    if loss_type == "luspo":
        return masked.sum(-1).mean() / accumulation_steps
    raise ValueError(f"unknown loss_type {loss_type!r}")


def importance_weights(logps: torch.Tensor, old_logps: torch.Tensor, mask: torch.Tensor, level: str) -> torch.Tensor:
    """TRL's importance ratio ρ = π/π_old, the factor of its ``use_bias_correction_kl``.

    Args:
        logps: (B, T) log π(y_t), with gradient. old_logps: (B, T) log π_old(y_t). mask: (B, T) 1 for real tokens.
        level: ``"token"``: ρ_t = exp(log π(y_t) − log π_old(y_t)), (B, T); ``"sequence"``: exp of the masked mean of
            those log-ratios over the completion (GSPO), (B, 1).
    """
    log_ratio = logps - old_logps
    if level == "sequence":
        log_ratio = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).unsqueeze(-1)
    return torch.exp(log_ratio)


def gspo_token_logps(logps: torch.Tensor, old_logps: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Log-probs whose token-level ratio against ``old_logps`` is GSPO-token's ratio.

    GSPO-token (Zheng et al. 2025, "Group Sequence Policy Optimization", arXiv 2507.18071, §4.3):
    s_{i,t} = sg[s_i] · π(y_t) / sg[π(y_t)], with s_i = exp(mean_t log(π(y_t) / π_old(y_t))) the sequence ratio.
    Its value is s_i for every token, its gradient s_i · ∇log π(y_t), so token-varying advantages keep their
    token-level credit (with one advantage per sequence it equals GSPO). Returned as log-probs ℓ'_t with
    ℓ'_t − old_t = sg[log s_i] + ℓ_t − sg[ℓ_t], so a token-level ratio computed from them (TRL's
    ``importance_sampling_level="token"``) is s_{i,t}.

    Args:
        logps: (B, T) log π(y_t) of the policy, with gradient.
        old_logps: (B, T) log π_old(y_t) (no gradient).
        mask: (B, T) 1 for completion tokens.

    Returns:
        (B, T) log-probs: value old_t + log s_i, gradient that of ``logps``.
    """
    log_ratio = (logps.detach() - old_logps) * mask
    log_s = log_ratio.sum(-1, keepdim=True) / mask.sum(-1, keepdim=True).clamp(min=1.0)
    return logps - logps.detach() + old_logps + log_s


@dataclass
class LossCall:
    """One call of TRL's ``_compute_loss`` as GRPOPlusTrainer adapts it (``GRPOPlusTrainer._adapted_loss`` says what
    changes and why); TRL's hooks inside the call read and fill it.

    Attributes:
        inputs: the micro-batch TRL's loss reads (B completions, T tokens).
        beta: the KL coefficient of the step (TRL's loss itself runs with β = 0).
        gspo_token: TRL's token-level ratio is computed from :func:`gspo_token_logps`.
        control: ``"kl_cov"`` or ``"clip_cov"`` when entropy control selects tokens in this call, else None.
        pending: KL in the reward: the batch whose advantages wait for this call's log-probs, else None.
        rows: (B,) global row index of each completion of ``inputs`` in ``pending`` (TRL shuffled the rows).
        logps: (B, T) policy log-probs of TRL's forward, with gradient (set by the log-prob hook).
        selected: (B, T) bool tokens entropy control selected (set by TRL's token-mask hook).
    """

    inputs: dict[str, Any]
    beta: float
    gspo_token: bool = False
    control: str | None = None
    pending: ScoredBatch | None = None
    rows: torch.Tensor | None = None
    logps: torch.Tensor | None = None
    selected: torch.Tensor | None = None
