"""What GRPOPlusTrainer carries from scoring a generation batch to its advantages.

TRL scores a batch inside ``_generate_and_score_completions``; the trainer's hooks (``_generate``, the step rewards,
``_calculate_rewards``) leave what they learn in one :class:`RoundScores` per generation round, local to the process.
:meth:`RoundScores.gathered` turns it into a :class:`ScoredBatch`, the gathered global batch: everything the
advantages need, and what dynamic sampling selects rows of. With ``kl_in_reward`` the ScoredBatch waits for the loss
call (``GRPOPlusTrainer._adapted_loss``), where the policy log-probs of the KL penalty become available.

Notation: N completions of the gathered global batch, n of this process, F reward functions, S_i steps of
completion i.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from accelerate.utils import gather_object

from grpo_plus.advantages import outcome_advantages, segment_sums, weighted_rewards
from grpo_plus.process import Scores, batch_process_advantages, combine_step_scores
from grpo_plus.steps import split_completions, split_turns


@dataclass
class ScoredBatch:
    """The scores of one generation batch, gathered over the processes.

    Attributes:
        rewards: (N, F) TRL's reward matrix ``rewards_per_func`` (NaN = that reward did not grade the row).
        step_scores: process mode: N lists of S_i step scores, weighted and summed over the step rewards
            (None = ungraded); None in outcome mode.
        step_ends: process mode: N lists of S_i non-decreasing step-end token indices; None in outcome mode.
        num_tokens: process mode: N counts of the tokens the steps cover; None in outcome mode.
    """

    rewards: torch.Tensor
    step_scores: Scores | None = None
    step_ends: list[list[int]] | None = None
    num_tokens: list[int] | None = None

    @staticmethod
    def pick(batches: Sequence[ScoredBatch], rows: Sequence[tuple[int, int]]) -> ScoredBatch:
        """The batch made of ``rows``, (index into ``batches``, row) pairs, in order (dynamic sampling's rounds)."""
        rewards = torch.stack([batches[b].rewards[r] for b, r in rows])
        if batches[0].step_scores is None:
            return ScoredBatch(rewards)
        return ScoredBatch(
            rewards,
            step_scores=[batches[b].step_scores[r] for b, r in rows],
            step_ends=[batches[b].step_ends[r] for b, r in rows],
            num_tokens=[batches[b].num_tokens[r] for b, r in rows],
        )


@dataclass
class RoundScores:
    """What one round of TRL's generation and scoring leaves behind on this process.

    Attributes:
        tool_masks: n lists of TRL's tool mask (1 = the model's token) of a multi-turn rollout; None for single-turn.
        rewards: (N, F) gathered reward matrix of ``_calculate_rewards``; None until it ran.
        step_scores: step-reward name -> its n lists of S_i scores (filled by the step rewards).
        split: the step split of the round, ``(completion_ids, (steps, step_ends))``, computed once and shared by
            every step reward of the round.
    """

    tool_masks: list[list[int]] | None = None
    rewards: torch.Tensor | None = None
    step_scores: dict[str, Scores] = field(default_factory=dict)
    split: tuple[list[list[int]], tuple[list[list[str]], list[list[int]]]] | None = None

    def steps(self, tokenizer, separator: str, completion_ids: list[list[int]], completions: list):
        """``(steps, step_ends)`` of this round's n completions, split once.

        Multi-turn (tool) completions: one step per assistant turn (:func:`grpo_plus.steps.split_turns`). Otherwise
        the text is split at ``separator`` (:func:`grpo_plus.steps.split_completions`): plain-text completions are
        TRL's ``skip_special_tokens`` decode of the ids and are passed on; conversational ones are decoded afresh.
        """
        if self.split is None or self.split[0] is not completion_ids:
            if self.tool_masks is not None:
                split = split_turns(tokenizer, completion_ids, self.tool_masks)
            else:
                texts = completions if all(isinstance(c, str) for c in completions) else None
                split = split_completions(tokenizer, completion_ids, separator=separator, texts=texts)
            self.split = (completion_ids, split)
        return self.split[1]

    def store(self, name: str, scores: Scores) -> None:
        self.step_scores[name] = scores

    def gathered(self, step_names: Sequence[str] = (), step_weights: Sequence[float] = ()) -> ScoredBatch:
        """The round as a :class:`ScoredBatch` of the global batch (collective: call it on every process).

        Without step rewards (``step_names`` empty) only the reward matrix is kept. Otherwise the step scores are
        combined with ``step_weights`` (:func:`grpo_plus.process.combine_step_scores`) and gathered with the step
        ends and token counts; a multi-turn rollout's steps cover up to the end of its last turn (trailing tool tokens
        belong to no step)."""
        if not step_names:
            return ScoredBatch(self.rewards)
        completion_ids, (_, ends) = self.split
        scores = combine_step_scores([self.step_scores[name] for name in step_names], step_weights)
        num_tokens = [len(ids) for ids in completion_ids]
        if self.tool_masks is not None:
            num_tokens = [row[-1] + 1 for row in ends]
        rows = gather_object(list(zip(scores, ends, num_tokens)))
        return ScoredBatch(
            self.rewards,
            step_scores=[r[0] for r in rows],
            step_ends=[r[1] for r in rows],
            num_tokens=[r[2] for r in rows],
        )



def batch_advantages(
    scored: ScoredBatch,
    penalties: list | None,
    beta: float,
    weights: torch.Tensor,
    levels: Sequence[str],
    num_generations: int,
    scale: str,
    credit: str,
) -> tuple[torch.Tensor, dict[str, float], torch.Tensor]:
    """Advantages of a gathered global batch, the metrics to log, and the per-completion values to show.

    Outcome mode: r_i = Σ_f w_f·r_{i,f} − β·Σ_t kl_{i,t} (KL in the reward), then
    :func:`grpo_plus.advantages.outcome_advantages`. Process mode: :func:`grpo_plus.process.batch_process_advantages`
    (step rewards with ``credit``, each step penalised by β × its own tokens' KL sum, plus the outcome advantage of the
    outcome rewards on every real token).

    Args:
        scored: the batch (process mode when ``scored.step_scores`` is set).
        penalties: KL in the reward: N per-completion sums Σ_t kl_t (outcome mode) or N lists of S_i per-step sums
            (process mode); None without.
        beta: the KL coefficient of the penalties. weights: (F,) reward weights. levels: F reward levels.
        num_generations: G. scale: reward scaling. credit: process mode's ``"sum"`` or ``"min"``.

    Returns:
        ``(advantages, metrics, shown)``: (N,) or (N, T) advantages; ``kl_penalty`` / ``reward_with_kl_penalty``
        (outcome mode with penalties) or the step and advantage metrics (process mode); (N,) per-completion
        advantages for the completions table (process mode: the mean over the completion's real tokens).
    """
    if scored.step_scores is not None:
        outcome = [i for i, level in enumerate(levels) if level == "outcome"]
        advantages, metrics = batch_process_advantages(
            scored.step_scores, scored.step_ends, scored.num_tokens, penalties, beta,
            weighted_rewards(scored.rewards, weights, outcome), num_generations, scale, credit,
        )  # fmt: skip
        return advantages, metrics, advantages.sum(1) / torch.tensor(scored.num_tokens).clamp(min=1)
    rewards = weighted_rewards(scored.rewards, weights, range(len(levels)))
    metrics = {}
    if penalties is not None:
        kl_sums = torch.tensor(penalties, dtype=rewards.dtype, device=rewards.device)
        rewards = rewards - beta * kl_sums
        metrics = {"kl_penalty": (beta * kl_sums).mean().item(), "reward_with_kl_penalty": torch.nanmean(rewards).item()}
    advantages = outcome_advantages(rewards, num_generations, scale)
    return advantages, metrics, advantages


def gathered_penalties(scored: ScoredBatch, token_kl: torch.Tensor, rows: torch.Tensor) -> list:
    """KL in the reward: the penalty sums of every completion of the global batch, from each process's own rows
    (collective: call it on every process).

    Args:
        scored: the global batch (process mode when ``scored.step_ends`` is set).
        token_kl: (n, T) per-token KL of this process's completions, 0 on padding.
        rows: (n,) their global row indices.

    Returns:
        N entries: Σ_t kl_t (outcome mode) or the S_i per-step sums over the tokens of each step (process mode).
    """
    rows = rows.tolist()
    if scored.step_ends is not None:
        local = segment_sums(token_kl, [scored.step_ends[r] for r in rows])
    else:
        local = token_kl.sum(dim=1).tolist()
    penalties = [None] * scored.rewards.size(0)
    for row, value in gather_object(list(zip(rows, local))):
        penalties[row] = value
    return penalties


def local_advantages(advantages: torch.Tensor, rows: torch.Tensor, width: int) -> torch.Tensor:
    """This process's ``rows`` (n,) of the global advantages: (n,) from (N,); (n, width) from (N, T), zero-padded or
    cut to the local batch's ``width`` completion tokens."""
    local = advantages[rows.to(advantages.device)]
    if local.ndim == 1:
        return local
    return torch.nn.functional.pad(local, (0, max(0, width - local.size(1))))[:, :width]
