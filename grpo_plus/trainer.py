"""GRPOPlusTrainer: TRL's GRPOTrainer with selectable KL estimators, KL in the reward, and process rewards.

The trainer is glue. It overrides four TRL hooks and calls the pure functions in :mod:`grpo_plus.kl`,
:mod:`grpo_plus.advantages` and :mod:`grpo_plus.steps`:

- ``_compute_loss``: TRL computes its policy loss with the KL term switched off (β is 0 for that call only); the
  KL term ``β · aggregate(kl_t)`` with the chosen estimator is then added with the same aggregation as the loss
  type. Every TRL aggregation is linear in the per-token loss, so with ``k3`` this equals TRL's loss and gradient
  (tests/grpo_plus/test_trainer.py proves it for every loss type).
- ``_get_per_token_logps_and_entropies``: captures the policy log-probs of that loss call (no extra forward).
- ``_calculate_rewards``: keeps the gathered reward matrix TRL computes.
- ``_generate_and_score_completions``: only when ``kl_in_reward`` or ``reward_mode="process"``, replaces TRL's
  advantages with ours (computed on the gathered global batch, then sliced per process, as TRL does).
- ``_save_checkpoint`` / ``_load_optimizer_and_scheduler``: the generation buffer travels with the checkpoint
  (:mod:`grpo_plus.resume`), so a run resumed mid generation cycle continues exactly.

Every callable reward is wrapped by :func:`grpo_plus.guard.guard_reward` (``reward_errors`` decides whether a
failing sample raises or becomes None).
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from accelerate.utils import gather_object
from trl import GRPOConfig, GRPOTrainer
from trl.models.utils import disable_gradient_checkpointing
from trl.trainer.utils import get_callable_name

from rewards import resolve_rewards

from grpo_plus.advantages import outcome_advantages, process_advantages, segment_sums
from grpo_plus.config import GRPOPlusConfig
from grpo_plus.guard import guard_reward
from grpo_plus.kl import per_token_kl
from grpo_plus.resume import checkpoint_dir, load_generation_state, save_generation_state
from grpo_plus.steps import split_completions

logger = logging.getLogger(__name__)

_MEAN_PER_SEQUENCE = ("grpo", "sapo")
# TRL's use_bias_correction_kl multiplies the KL by the differentiable ratio ρ = π/π_old, which turns the gradient of
# any estimator k into the gradient of E_π[k]: unbiased for k1 and k3. The straight-through estimators already
# carry the unbiased gradient (that of k2); ρ would add k·∇log π and bias them again, so they skip it.
STRAIGHT_THROUGH = ("k1+", "k3+")
_MEAN_PER_TOKEN = ("bnpo",)
_TOKEN_SUM_OVER_ITEMS = ("cispo", "dapo", "vespo")


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

    Args:
        per_token: (B, T) per-token loss term (here β·kl_t).
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
    if loss_type in _MEAN_PER_SEQUENCE:
        return (masked.sum(-1) / mask.sum(-1).clamp(min=1.0)).mean() / accumulation_steps
    if loss_type in _MEAN_PER_TOKEN:
        return masked.sum() / mask.sum().clamp(min=1.0) / accumulation_steps
    if loss_type == "dr_grpo":
        return masked.sum() / (per_token.size(0) * max_completion_length) / accumulation_steps
    if loss_type in _TOKEN_SUM_OVER_ITEMS:
        return masked.sum() / num_items_normalizer
    if loss_type == "luspo":
        return masked.sum(-1).mean() / accumulation_steps
    raise ValueError(f"unknown loss_type {loss_type!r}")


class _StepReward:
    """Adapts a step-level reward to TRL's reward-function call.

    TRL calls it like any reward function; it splits the completions into steps (once per batch, shared by all
    step rewards), calls the (guarded, hence validated) step reward with ``steps=``, hands the per-step scores to
    the trainer and returns to TRL the mean step score of each completion (what TRL logs as ``rewards/<name>/mean``).
    """

    def __init__(self, trainer: GRPOPlusTrainer, func: Callable, name: str):
        self.trainer = trainer
        self.func = func
        self.__name__ = name
        self.reward_level = "step"

    def __call__(self, prompts=None, completions=None, completion_ids=None, **kwargs) -> list[float | None]:
        steps, ends = self.trainer._split_steps(completion_ids, completions)
        scores = self.func(steps=steps, prompts=prompts, completions=completions, completion_ids=completion_ids, **kwargs)
        self.trainer._step_scores[self.__name__] = scores
        means = []
        for row in scores:
            graded = [s for s in row if s is not None]
            means.append(sum(graded) / len(graded) if graded else None)
        return means


def _combine_step_scores(
    per_func: Sequence[list[list[float | None]]], weights: Sequence[float]
) -> list[list[float | None]]:
    """Weighted sum over step rewards, per step; a step no function graded stays None (as TRL does per row)."""
    combined = []
    for rows in zip(*per_func):
        combined_row = []
        for step_scores in zip(*rows):
            graded = [w * s for w, s in zip(weights, step_scores) if s is not None]
            combined_row.append(sum(graded) if graded else None)
        combined.append(combined_row)
    return combined


def _check_prompt_column(dataset, kwargs) -> None:
    """TRL reads ``row["prompt"]`` at the first step (a bare KeyError); say so before any model loads."""
    columns = getattr(dataset, "column_names", None)
    if columns is None or kwargs.get("environment_factory") is not None or "prompt" in columns:
        return
    raise ValueError(
        f"train_dataset has no 'prompt' column; its columns are {list(columns)}. Rename the column that holds the "
        "prompts (dataset.rename_column(..., 'prompt'))"
    )


class GRPOPlusTrainer(GRPOTrainer):
    """Drop-in replacement for ``trl.GRPOTrainer``.

    ``reward_funcs`` accepts registry names, ``"module:function"`` import paths, callables and (TRL's behaviour)
    reward-model ids, in that order of resolution; when it is None, ``args.reward_funcs`` is used. ``args`` may be
    a :class:`GRPOPlusConfig` or a plain ``trl.GRPOConfig`` (then the grpo_plus fields take their defaults).
    """

    def __init__(self, model, reward_funcs=None, args: GRPOConfig | None = None, *positional, **kwargs):
        if args is None:
            name = model if isinstance(model, str) else model.config._name_or_path
            args = GRPOPlusConfig(f"{str(name).rstrip('/').split('/')[-1]}-GRPO")
        self.kl_estimator = getattr(args, "kl_estimator", "k3")
        self.kl_in_reward = getattr(args, "kl_in_reward", False)
        self.reward_mode = getattr(args, "reward_mode", "outcome")
        self.step_separator = getattr(args, "step_separator", "\n\n")
        self.process_credit = getattr(args, "process_credit", "sum")
        _check_prompt_column(positional[0] if positional else kwargs.get("train_dataset"), kwargs)
        funcs = self._resolve_reward_funcs(reward_funcs, args)
        self._step_scores: dict[str, list[list[float | None]]] = {}
        self._step_split_cache: tuple[Any, tuple[list, list]] | None = None
        self._captured_logps: torch.Tensor | None = None
        self._capture_logps = False
        self._kl_suspended = False
        self._last_rewards_per_func: torch.Tensor | None = None
        super().__init__(model, funcs, args, *positional, **kwargs)
        self._levels = [getattr(f, "reward_level", "outcome") for f in self.reward_funcs]

    # ----------------------------------------------------------------------------------------------- rewards
    def _resolve_reward_funcs(self, reward_funcs, args) -> list:
        specs = reward_funcs if reward_funcs is not None else getattr(args, "reward_funcs", None)
        if specs is None:
            raise ValueError(
                "no reward functions: pass reward_funcs= to GRPOPlusTrainer or set GRPOPlusConfig.reward_funcs "
                "(names from `grpo-plus rewards list`, 'module:function', callables or reward-model ids)"
            )
        if isinstance(specs, str):
            specs = [s.strip() for s in specs.split(",") if s.strip()]
        elif not isinstance(specs, (list, tuple)):
            specs = [specs]
        funcs = resolve_rewards(list(specs), getattr(args, "reward_kwargs", None))
        on_error = getattr(args, "reward_errors", "raise")
        funcs = [f if isinstance(f, (str, torch.nn.Module)) else guard_reward(f, get_callable_name(f), on_error) for f in funcs]
        levels = [getattr(f, "reward_level", "outcome") for f in funcs]
        names = [getattr(f, "__name__", str(f)) for f in funcs]
        if self.reward_mode == "outcome" and "step" in levels:
            step_names = [n for n, lvl in zip(names, levels) if lvl == "step"]
            raise ValueError(
                f"step-level rewards {step_names} need reward_mode='process' (reward_mode is 'outcome'); "
                "valid choices: 'outcome', 'process'"
            )
        if self.reward_mode == "process":
            if "step" not in levels:
                raise ValueError(
                    f"reward_mode='process' needs at least one step-level reward; got only outcome rewards {names} "
                    "(step rewards: see `grpo-plus rewards list`, e.g. 'arithmetic_steps' or 'prm')"
                )
            funcs = [
                _StepReward(self, f, name) if level == "step" else f for f, level, name in zip(funcs, levels, names)
            ]
        return funcs

    def _split_steps(self, completion_ids: list[list[int]], completions: list) -> tuple[list[list[str]], list[list[int]]]:
        """Split this batch's completions into steps once; every step reward of the batch shares the split.

        Plain-text completions are TRL's ``skip_special_tokens`` decode of the ids, so they are passed on and not
        decoded again; conversational ones (which TRL may rebuild from parsed tool calls) are decoded afresh."""
        cached = self._step_split_cache
        if cached is None or cached[0] is not completion_ids:
            texts = completions if all(isinstance(c, str) for c in completions) else None
            split = split_completions(self._tokenizer, completion_ids, separator=self.step_separator, texts=texts)
            self._step_split_cache = (completion_ids, split)
        return self._step_split_cache[1]

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        self._step_scores = {}
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._last_rewards_per_func = rewards_per_func
        return rewards_per_func

    # -------------------------------------------------------------------------------------------- advantages
    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if self.reward_mode == "outcome" and not self.kl_in_reward:
            return output
        mode = "train" if self.model.training else "eval"
        num_generations = self.num_generations if mode == "train" else self.num_generations_eval
        mask = output["completion_mask"]
        if "tool_mask" in output:
            mask = mask * output["tool_mask"]
        token_kl = self._sampling_kl(output) * mask if self.kl_in_reward else None
        if self.reward_mode == "process":
            advantages = self._process_advantages(output, num_generations, token_kl, mode)
        else:
            advantages = self._outcome_advantages_with_kl(num_generations, token_kl, mode)
        output["advantages"] = advantages
        return output

    def _process_slice(self, local_size: int) -> slice:
        start = self.accelerator.process_index * local_size
        return slice(start, start + local_size)

    def _weighted_rewards(self, columns: list[int]) -> torch.Tensor | None:
        """(N,) weighted sum of the given reward columns over the global batch; NaN where none graded the row."""
        if not columns:
            return None
        rewards_per_func = self._last_rewards_per_func[:, columns]
        weights = self.reward_weights.to(rewards_per_func.device)[columns]
        rewards = (rewards_per_func * weights).nansum(dim=1)
        rewards[torch.isnan(rewards_per_func).all(dim=1)] = torch.nan
        return rewards

    @torch.no_grad()
    def _sampling_kl(self, output: dict) -> torch.Tensor:
        """(B, T) per-token KL (chosen estimator, value only) of the sampling policy against the reference."""
        logps = output.get("old_per_token_logps")
        if logps is None:
            mode = "train" if self.model.training else "eval"
            batch_size = self.args.per_device_train_batch_size if mode == "train" else self.args.per_device_eval_batch_size
            input_ids = torch.cat([output["prompt_ids"], output["completion_ids"]], dim=1)
            attention_mask = torch.cat([output["prompt_mask"], output["completion_mask"]], dim=1)
            with disable_gradient_checkpointing(self.model, self.args.gradient_checkpointing_kwargs):
                logps, _, _ = self._get_per_token_logps_and_entropies(
                    self.model, input_ids, attention_mask, output["completion_ids"].size(1), batch_size=batch_size
                )
        return per_token_kl(logps, output["ref_per_token_logps"], self.kl_estimator).detach()

    def _outcome_advantages_with_kl(self, num_generations: int, token_kl: torch.Tensor, mode: str) -> torch.Tensor:
        local_size = token_kl.size(0)
        rewards = self._weighted_rewards(list(range(len(self.reward_funcs))))
        kl_sums = self.accelerator.gather(token_kl.sum(dim=1))
        penalised = rewards - self.beta * kl_sums
        scale = self.scale_rewards
        advantages = outcome_advantages(penalised, num_generations, scale)
        self._metrics[mode]["kl_penalty"].append((self.beta * kl_sums).mean().item())
        self._metrics[mode]["reward_with_kl_penalty"].append(torch.nanmean(penalised).item())
        self._replace_logged_advantages(advantages)
        return advantages[self._process_slice(local_size)]

    def _process_advantages(self, output, num_generations: int, token_kl: torch.Tensor | None, mode: str):
        completion_ids = output["completion_ids"]
        local_size, local_width = completion_ids.shape
        completion_id_lists, (_, ends) = self._step_split_cache  # filled by the step rewards of this batch
        step_names = [f.__name__ for f, lvl in zip(self.reward_funcs, self._levels) if lvl == "step"]
        step_weights = [float(w) for w, lvl in zip(self.reward_weights, self._levels) if lvl == "step"]
        step_scores = _combine_step_scores([self._step_scores[n] for n in step_names], step_weights)
        if token_kl is not None:
            penalties = segment_sums(token_kl, ends)
            step_scores = [
                [None if s is None else s - self.beta * p for s, p in zip(row, pen)]
                for row, pen in zip(step_scores, penalties)
            ]
        num_tokens = [len(ids) for ids in completion_id_lists]
        gathered = gather_object(list(zip(step_scores, ends, num_tokens)))
        all_scores = [g[0] for g in gathered]
        all_ends = [g[1] for g in gathered]
        all_tokens = [g[2] for g in gathered]
        advantages = process_advantages(
            all_scores, all_ends, num_generations, all_tokens, self.scale_rewards, credit=self.process_credit
        )
        outcome_columns = [i for i, lvl in enumerate(self._levels) if lvl == "outcome"]
        outcome_rewards = self._weighted_rewards(outcome_columns)
        if outcome_rewards is not None:
            real = torch.arange(advantages.size(1)).unsqueeze(0) < torch.tensor(all_tokens).unsqueeze(1)
            outcome = outcome_advantages(outcome_rewards.cpu(), num_generations, self.scale_rewards)
            advantages = advantages + outcome.unsqueeze(1) * real
        self._log_process_metrics(all_scores, all_tokens, advantages, mode)
        per_sequence = advantages.sum(1) / torch.tensor(all_tokens).clamp(min=1)
        self._replace_logged_advantages(per_sequence)
        local = advantages[self._process_slice(local_size)]
        if local.size(1) < local_width:
            local = torch.nn.functional.pad(local, (0, local_width - local.size(1)))
        return local[:, :local_width].to(completion_ids.device)

    def _log_process_metrics(self, scores, num_tokens, advantages, mode):
        metrics = self._metrics[mode]
        flat = torch.tensor([s for row in scores for s in row if s is not None], dtype=torch.float32)
        metrics["steps/per_completion"].append(sum(len(row) for row in scores) / max(len(scores), 1))
        metrics["steps/reward_mean"].append(flat.mean().item() if flat.numel() else math.nan)
        metrics["steps/reward_std"].append(flat.std().item() if flat.numel() > 1 else math.nan)
        real = torch.arange(advantages.size(1)).unsqueeze(0) < torch.tensor(num_tokens).unsqueeze(1)
        values = advantages[real]
        if values.numel():
            metrics["advantages/mean"].append(values.mean().item())
            metrics["advantages/std"].append(values.std().item() if values.numel() > 1 else 0.0)
            metrics["advantages/min"].append(values.min().item())
            metrics["advantages/max"].append(values.max().item())

    def _replace_logged_advantages(self, advantages: torch.Tensor) -> None:
        """TRL logged its own per-completion advantages for the completions table; show ours instead."""
        logged = self._logs["advantages"]
        for _ in range(min(advantages.numel(), len(logged))):
            logged.pop()
        logged.extend(advantages.detach().float().cpu().tolist())

    # ------------------------------------------------------------------------------------------------- loss
    @contextlib.contextmanager
    def _without_trl_kl(self):
        beta = self.beta
        self.beta = 0.0
        try:
            yield
        finally:
            self.beta = beta

    def _get_per_token_logps_and_entropies(self, *args, **kwargs):
        result = super()._get_per_token_logps_and_entropies(*args, **kwargs)
        if self._capture_logps:
            self._captured_logps = result[0]
            self._capture_logps = False
        return result

    def _compute_loss(self, model, inputs):
        if self.beta == 0.0:
            return super()._compute_loss(model, inputs)
        self._capture_logps = True
        try:
            with self._without_trl_kl():
                loss = super()._compute_loss(model, inputs)
            logps = self._captured_logps
        finally:
            self._capture_logps = False
            self._captured_logps = None
        mode = "train" if self.model.training else "eval"
        mask = inputs["completion_mask"]
        if "tool_mask" in inputs:
            mask = mask * inputs["tool_mask"]
        ref_logps = inputs["ref_per_token_logps"]
        kl = per_token_kl(logps, ref_logps, self.kl_estimator)
        if self.args.use_bias_correction_kl and self.kl_estimator not in STRAIGHT_THROUGH:
            kl = kl * self._importance_weights(logps, inputs, mask)
        if not self.kl_in_reward:
            loss = loss + self.beta * aggregate_token_loss(
                kl,
                mask,
                self.loss_type,
                accumulation_steps=self.current_gradient_accumulation_steps if mode == "train" else 1.0,
                max_completion_length=self.max_completion_length,
                num_items_normalizer=self._num_items_normalizer(inputs, mode),
            )
        self._log_kl(kl, logps, ref_logps, mask, mode)
        return loss

    def _importance_weights(self, logps: torch.Tensor, inputs, mask: torch.Tensor) -> torch.Tensor:
        """TRL's importance ratio π/π_old (token or sequence level) used by ``use_bias_correction_kl``."""
        old = inputs.get("old_per_token_logps")
        old = logps.detach() if old is None else old
        log_ratio = logps - old
        if self.importance_sampling_level == "sequence":
            log_ratio = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).unsqueeze(-1)
        return torch.exp(log_ratio)

    def _num_items_normalizer(self, inputs, mode: str):
        if self.loss_type not in _TOKEN_SUM_OVER_ITEMS:
            return None
        normalizer = inputs["num_items_in_batch"].clamp(min=1.0) / self.accelerator.num_processes
        if mode == "train":
            normalizer = normalizer * self.current_gradient_accumulation_steps / self.args.steps_per_generation
        return normalizer

    def _log_kl(self, kl, logps, ref_logps, mask, mode: str) -> None:
        with torch.no_grad():
            logps = logps.detach()
            estimates = [kl.detach()] + [per_token_kl(logps, ref_logps, name) for name in ("k1", "k2", "k3")]
            sums = torch.stack([(e * mask).sum() for e in estimates] + [mask.sum().float()])
            sums = self.accelerator.reduce(sums, reduction="sum")
            count = sums[-1].clamp(min=1.0)
        for name, total in zip(("kl", "kl/k1", "kl/k2", "kl/k3"), sums[:-1]):
            self._metrics[mode][name].append((total / count).item())

    # ----------------------------------------------------------------------------------------------- resume
    def _save_checkpoint(self, model, trial):
        super()._save_checkpoint(model, trial)
        save_generation_state(self, checkpoint_dir(self, trial))

    def _load_optimizer_and_scheduler(self, checkpoint):
        super()._load_optimizer_and_scheduler(checkpoint)
        load_generation_state(self, checkpoint)
