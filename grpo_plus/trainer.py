"""GRPOPlusTrainer: TRL's GRPOTrainer with selectable KL estimators, KL in the reward, and process rewards.

The trainer is glue. It overrides TRL hooks and calls the pure functions in :mod:`grpo_plus.kl`,
:mod:`grpo_plus.advantages`, :mod:`grpo_plus.steps`, :mod:`grpo_plus.process` and :mod:`grpo_plus.loss_terms`:

- ``_compute_loss``: TRL computes its policy loss with the KL term switched off (β is 0 for that call only); the
  KL term ``β · aggregate(kl_t)`` with the chosen estimator is then added with the same aggregation as the loss
  type. Every TRL aggregation is linear in the per-token loss, so with ``k3`` this equals TRL's loss and gradient
  (tests/grpo_plus/test_trainer.py proves it for every loss type). In process mode with
  ``importance_sampling_level="sequence"``, TRL's loss runs on GSPO-token's ratio (token-level credit kept).
- ``_get_per_token_logps_and_entropies``: captures the policy log-probs of that loss call (no extra forward); with
  ``kl_in_reward`` and one loss call per generation batch, the advantages are computed there, from those log-probs.
- ``_generate`` / ``_calculate_rewards``: keep TRL's tool masks and the gathered reward matrix.
- ``_generate_and_score_completions``: only when ``kl_in_reward`` or ``reward_mode="process"``, replaces TRL's
  advantages with ours (computed on the gathered global batch, then sliced per process, as TRL does).
- ``_save_checkpoint`` / ``_load_optimizer_and_scheduler``: the generation buffer travels with the checkpoint
  (:mod:`grpo_plus.resume`), so a run resumed mid generation cycle continues exactly.

Every callable reward, the environment's ``get_reward`` included, is wrapped by :func:`grpo_plus.guard.guard_reward`
(``reward_errors`` decides whether a failing sample raises or becomes None).
"""

from __future__ import annotations

import contextlib
import logging
import math
from typing import Any

import torch
from accelerate.utils import gather_object
from trl import GRPOConfig, GRPOTrainer
from trl.models.utils import disable_gradient_checkpointing

from grpo_plus.advantages import outcome_advantages, segment_sums, weighted_rewards
from grpo_plus.config import GRPOPlusConfig
from grpo_plus.dynamic_sampling import DynamicSampler
from grpo_plus.entropy import keep_mask, kl_cov_token_loss, select_tokens
from grpo_plus.kl import per_token_kl
from grpo_plus.kl_control import KLController
from grpo_plus.loss_terms import RATIO_GRADIENT, TOKEN_SUM_OVER_ITEMS, aggregate_token_loss, gspo_token_logps
from grpo_plus.process import SeparatorMonitor, StepReward, batch_process_advantages, combine_step_scores
from grpo_plus.qlora import disable_cpu_repacking
from grpo_plus.reward_setup import (
    add_turn_rewards,
    check_prompt_column,
    guard_environment_rewards,
    hide_turn_reward_tools,
    hide_turn_rewards,
    resolve_trainer_rewards,
)
from grpo_plus.sampling import batch_reward_metrics, degenerate_flags
from grpo_plus.resume import checkpoint_dir, load_generation_state, save_generation_state
from grpo_plus.steps import split_completions, split_turns

logger = logging.getLogger(__name__)

# TRL's use_bias_correction_kl multiplies the KL by the differentiable ratio ρ = π/π_old, which turns the gradient of
# any estimator k into the gradient of E_π[k]: unbiased for k1 and k3. The straight-through estimators already
# carry the unbiased gradient (that of k2); ρ would add k·∇log π and bias them again, so they skip it.
STRAIGHT_THROUGH = ("k1+", "k3+")
_ROW = "grpo_plus_row"  # (B,) global row index of each completion, for advantages computed in the loss call


class GRPOPlusTrainer(GRPOTrainer):
    """Drop-in replacement for ``trl.GRPOTrainer``.

    ``reward_funcs`` accepts registry names, ``"module:function"`` import paths, callables and (TRL's behaviour)
    reward-model ids, in that order of resolution; when it is None, ``args.reward_funcs`` is used, and with an
    ``environment_factory`` the environment may own the reward (``get_reward``, as in TRL; in process mode also
    ``get_turn_rewards``, one value per assistant turn). ``args`` may be a :class:`GRPOPlusConfig` or a plain
    ``trl.GRPOConfig`` (then the grpo_plus fields take their defaults).
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
        self.entropy_control = getattr(args, "entropy_control", None)
        has_environment = kwargs.get("environment_factory") is not None
        check_prompt_column(positional[0] if positional else kwargs.get("train_dataset"), kwargs)
        self._step_scores: dict[str, list[list[float | None]]] = {}
        funcs = resolve_trainer_rewards(reward_funcs, args, self.reward_mode, has_environment, self._step_reward)
        self._step_split_cache: tuple[Any, tuple[list, list]] | None = None
        self._tool_masks: list[list[int]] | None = None
        self._loss_inputs: dict | None = None
        self._captured_logps: torch.Tensor | None = None
        self._capture_logps = False
        self._gspo_token = False
        self._control: str | None = None
        self._loss_beta = 0.0
        self._deferred: dict[str, dict] = {}
        self._last_rewards_per_func: torch.Tensor | None = None
        self.separator_monitor = SeparatorMonitor()
        super().__init__(model, funcs, args, *positional, **kwargs)
        disable_cpu_repacking(self.model)  # bitsandbytes' CPU eval kernel rewrites 4-bit weights and breaks training
        on_error = getattr(args, "reward_errors", "raise")
        guard_environment_rewards(self, on_error)
        hide_turn_reward_tools(self)
        if self.reward_mode == "process":
            add_turn_rewards(self, on_error, self._step_reward)
        self._levels = [getattr(f, "reward_level", "outcome") for f in self.reward_funcs]
        self.dynamic_sampler = None
        if getattr(args, "dynamic_sampling", False):
            self.dynamic_sampler = DynamicSampler(self, self.train_dataset, args.max_resample_rounds, args.seed + 1)
        target = getattr(args, "kl_target", None)
        self.kl_controller = None if target is None else KLController(self.beta, target, args.kl_horizon)
        self._kl_window = torch.zeros(2, dtype=torch.float64)
        self._cov_generator = torch.Generator().manual_seed(args.seed + self.accelerator.process_index)
        self._cov_selected: torch.Tensor | None = None
        if self.reward_mode == "process" and "step" not in self._levels:
            raise ValueError(
                f"reward_mode='process' needs at least one step-level reward; got only outcome rewards "
                f"{self.reward_func_names} (step rewards: see `grpo-plus rewards list`, e.g. 'arithmetic_steps' or "
                "'prm', or an environment with get_turn_rewards)"
            )

    # ----------------------------------------------------------------------------------------------- rewards
    def _step_reward(self, func, name: str) -> StepReward:
        return StepReward(func, name, split=self._split_steps, store=self._step_scores.__setitem__)

    def _generate(self, prompts):
        if self.tools:  # the per-rollout tool dicts TRL built for this batch
            self._sync_tool_dicts = [hide_turn_rewards(d) for d in self._sync_tool_dicts]
            self._async_tool_dicts = [hide_turn_rewards(d) for d in self._async_tool_dicts]
        result = super()._generate(prompts)
        self._tool_masks = result[2]  # None for single-turn generation
        return result

    def _split_steps(self, completion_ids: list[list[int]], completions: list) -> tuple[list[list[str]], list[list[int]]]:
        """Split this batch's completions into steps once; every step reward of the batch shares the split.

        Multi-turn (tool) completions: one step per assistant turn. Otherwise the text is split at
        ``step_separator``: plain-text completions are TRL's ``skip_special_tokens`` decode of the ids, so they are
        passed on and not decoded again; conversational ones are decoded afresh."""
        cached = self._step_split_cache
        if cached is None or cached[0] is not completion_ids:
            if self._tool_masks is not None:
                split = split_turns(self._tokenizer, completion_ids, self._tool_masks)
            else:
                texts = completions if all(isinstance(c, str) for c in completions) else None
                split = split_completions(self._tokenizer, completion_ids, separator=self.step_separator, texts=texts)
            self._step_split_cache = (completion_ids, split)
        return self._step_split_cache[1]

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        self._step_scores.clear()
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._last_rewards_per_func = rewards_per_func
        return rewards_per_func

    # -------------------------------------------------------------------------------------------- advantages
    def _generate_and_score_completions(self, inputs):
        mode = "train" if self.model.training else "eval"
        if self.dynamic_sampler is not None and mode == "train":
            output, record, stats = self.dynamic_sampler.generation_batch(inputs, self._score_round)
            metrics = batch_reward_metrics(record["rewards"], self.reward_weights, self.reward_func_names, self.num_generations)
            for name, value in {**metrics, **stats}.items():
                self._metrics["train"][name].append(value)
            loss_mask = self._loss_mask(output)
            output["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
        else:
            output = super()._generate_and_score_completions(inputs)
            if self.reward_mode == "outcome" and not self.kl_in_reward:
                return output
            record = self._scoring_record(output)
        local_rows = torch.arange(output["completion_ids"].size(0)) + self._row_offset(output)
        if self.kl_in_reward and output.get("old_per_token_logps") is None and self._one_loss_call(mode):
            output[_ROW] = local_rows.to(output["completion_ids"].device)
            self._deferred[mode] = record  # advantages computed in the loss call, from its log-probs
            return output
        token_kl = self._sampling_kl(output) * self._loss_mask(output) if self.kl_in_reward else None
        output["advantages"] = self._advantages(record, token_kl, local_rows, output, mode, self.beta)
        return output

    def _score_round(self, inputs):
        """One round of dynamic sampling: TRL's generation and scoring, our record, the degenerate groups."""
        output = super()._generate_and_score_completions(inputs)
        record = self._scoring_record(output)
        return output, record, degenerate_flags(record, self.reward_weights, self._levels, self.num_generations)

    def _one_loss_call(self, mode: str) -> bool:
        """True when one loss call sees the whole local generation batch under the sampling weights."""
        return mode == "eval" or self.args.steps_per_generation == 1

    def _row_offset(self, output) -> int:
        return self.accelerator.process_index * output["completion_ids"].size(0)

    @staticmethod
    def _loss_mask(batch) -> torch.Tensor:
        mask = batch["completion_mask"]
        return mask * batch["tool_mask"] if "tool_mask" in batch else mask

    def _scoring_record(self, output) -> dict:
        """What the advantages need, for the gathered global batch: reward matrix and, in process mode, step scores,
        step ends and token counts of every completion."""
        record = {"rewards": self._last_rewards_per_func}
        if self.reward_mode == "process":
            completion_id_lists, (_, ends) = self._step_split_cache  # filled by the step rewards of this batch
            step_names = [f.__name__ for f, lvl in zip(self.reward_funcs, self._levels) if lvl == "step"]
            step_weights = [float(w) for w, lvl in zip(self.reward_weights, self._levels) if lvl == "step"]
            scores = combine_step_scores([self._step_scores[n] for n in step_names], step_weights)
            num_tokens = [len(ids) for ids in completion_id_lists]
            if self._tool_masks is not None:  # trailing tool tokens after the last turn belong to no step
                num_tokens = [row[-1] + 1 for row in ends]
            gathered = gather_object(list(zip(scores, ends, num_tokens)))
            record.update(scores=[g[0] for g in gathered], ends=[g[1] for g in gathered], tokens=[g[2] for g in gathered])
        return record

    @torch.no_grad()
    def _sampling_kl(self, output: dict) -> torch.Tensor:
        """(B, T) per-token KL (chosen estimator, value only) of the sampling policy against the reference, from the
        old log-probs TRL computed, else from one extra no-grad forward."""
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

    def _advantages(self, record: dict, token_kl: torch.Tensor | None, rows: torch.Tensor, batch, mode: str, beta: float):
        """Advantages of the local ``rows`` (global indices) of ``batch``: (B,) in outcome mode, (B, T) in process mode.

        ``token_kl`` (B, T): the sampling KL of the local rows (kl_in_reward, penalty ``beta``), gathered by row."""
        num_generations = self.num_generations if mode == "train" else self.num_generations_eval
        penalties = None
        if token_kl is not None:
            if self.kl_controller is not None and mode == "train":  # once per generation batch: its token-mean KL
                sums = torch.stack([token_kl.sum(), self._loss_mask(batch).sum()]).double().detach()
                sums = self.accelerator.reduce(sums, reduction="sum")
                self._update_kl_controller(sums, mode, in_reward=True, local_rows=token_kl.size(0))
            if self.reward_mode == "process":
                local = segment_sums(token_kl, [record["ends"][r] for r in rows.tolist()])
            else:
                local = token_kl.sum(dim=1).tolist()
            penalties = [None] * record["rewards"].size(0)
            for row, value in gather_object(list(zip(rows.tolist(), local))):
                penalties[row] = value
        if self.reward_mode == "process":
            advantages = self._process_advantages(record, penalties, num_generations, mode, beta)
            local_width = batch["completion_ids"].size(1)
            local = advantages[rows.cpu()]
            if local.size(1) < local_width:
                local = torch.nn.functional.pad(local, (0, local_width - local.size(1)))
            local = local[:, :local_width].to(batch["completion_ids"].device)
            return local * batch["tool_mask"] if "tool_mask" in batch else local
        rewards = weighted_rewards(record["rewards"], self.reward_weights, range(len(self.reward_funcs)))
        if penalties is not None:
            kl_sums = torch.tensor(penalties, dtype=rewards.dtype, device=rewards.device)
            rewards = rewards - beta * kl_sums
            self._metrics[mode]["kl_penalty"].append((beta * kl_sums).mean().item())
            self._metrics[mode]["reward_with_kl_penalty"].append(torch.nanmean(rewards).item())
        advantages = outcome_advantages(rewards, num_generations, self.scale_rewards)
        self._replace_logged_advantages(advantages)
        return advantages[rows.to(advantages.device)]

    def _process_advantages(self, record: dict, penalties, num_generations: int, mode: str, beta: float) -> torch.Tensor:
        """(N, T) process advantages of the global batch (:func:`grpo_plus.process.batch_process_advantages`)."""
        outcome = [i for i, lvl in enumerate(self._levels) if lvl == "outcome"]
        advantages, metrics = batch_process_advantages(
            record, penalties, beta, weighted_rewards(record["rewards"], self.reward_weights, outcome), num_generations,
            self.scale_rewards, self.process_credit,
        )  # fmt: skip
        for name, value in metrics.items():
            self._metrics[mode][name].append(value)
        if mode == "train" and self.accelerator.is_main_process:
            self.separator_monitor.update(metrics["steps/per_completion"], metrics["steps/no_separator_frac"])
        self._replace_logged_advantages(advantages.sum(1) / torch.tensor(record["tokens"]).clamp(min=1))
        return advantages

    def _replace_logged_advantages(self, advantages: torch.Tensor) -> None:
        """TRL logged its own per-completion advantages for the completions table; show ours instead."""
        logged = self._logs["advantages"]
        for _ in range(min(advantages.numel(), len(logged))):
            logged.pop()
        logged.extend(advantages.detach().float().cpu().tolist())

    # ------------------------------------------------------------------------------------------------- loss
    @contextlib.contextmanager
    def _loss_call(self, inputs, gspo_token: bool, control: str | None):
        """TRL's loss with β = 0 (our KL term is added after it); for GSPO-token, token-level ratios; for entropy
        control, TRL's token-mask hook switched on (and, for KL-Cov, the PPO clip lifted, as verl's KL-Cov loss)."""
        saved = (self.beta, self.importance_sampling_level, self.top_entropy_quantile, self.epsilon_low, self.epsilon_high)
        self.beta, self._loss_beta = 0.0, saved[0]
        if gspo_token:
            self.importance_sampling_level = "token"
        if control is not None:
            self.top_entropy_quantile = 0.0  # makes TRL call get_high_entropy_mask, which selects the tokens
        if control == "kl_cov":
            self.epsilon_low, self.epsilon_high = 1.0, math.inf  # clamp(ρ, 0, ∞) = ρ: no clip
        self._loss_inputs, self._capture_logps, self._gspo_token, self._control = inputs, True, gspo_token, control
        try:
            yield
        finally:
            self.beta, self.importance_sampling_level, self.top_entropy_quantile, self.epsilon_low, self.epsilon_high = saved
            if self.kl_controller is not None:  # kl_in_reward may have updated β inside the call
                self.beta = self.kl_controller.beta
            self._loss_inputs, self._capture_logps, self._gspo_token, self._control = None, False, False, None

    def _get_per_token_logps_and_entropies(self, *args, **kwargs):
        result = super()._get_per_token_logps_and_entropies(*args, **kwargs)
        if not self._capture_logps:
            return result
        self._capture_logps = False
        inputs, logps = self._loss_inputs, result[0]
        self._captured_logps = logps
        if _ROW in inputs:  # kl_in_reward: the advantages of this generation batch need its log-probs
            mode = "train" if self.model.training else "eval"
            token_kl = per_token_kl(logps.detach(), inputs["ref_per_token_logps"], self.kl_estimator) * self._loss_mask(inputs)
            record, rows = self._deferred.pop(mode), inputs.pop(_ROW).cpu()
            inputs["advantages"] = self._advantages(record, token_kl, rows, inputs, mode, self._loss_beta)
        if self._gspo_token:
            result = (gspo_token_logps(logps, self._old_logps(logps, inputs), self._loss_mask(inputs)), *result[1:])
        return result

    @staticmethod
    def _old_logps(logps: torch.Tensor, inputs) -> torch.Tensor:
        old = inputs.get("old_per_token_logps")
        return logps.detach() if old is None else old

    def get_high_entropy_mask(self, entropies: torch.Tensor, mask: torch.Tensor, threshold: float) -> torch.Tensor:
        """TRL's token-mask hook; with ``entropy_control`` it returns the tokens that keep their policy-gradient term
        (Clip-Cov drops its draw, KL-Cov moves its selection to the penalised term added after TRL's loss)."""
        if getattr(self, "_control", None) is None:  # TRL's own tests call it on a bare Mock(spec=GRPOTrainer)
            return super().get_high_entropy_mask(entropies, mask, threshold)
        logps = self._captured_logps.detach()
        inputs, args = self._loss_inputs, self.args
        self._cov_selected = select_tokens(
            self._control, logps, self._old_logps(logps, inputs), inputs["advantages"], mask,
            ratio=args.clip_cov_ratio if self._control == "clip_cov" else args.kl_cov_ratio,
            bounds=args.clip_cov_bounds, generator=self._cov_generator, clip=(self.epsilon_low, self.epsilon_high),
        )  # fmt: skip
        return keep_mask(self._cov_selected, mask).to(entropies.dtype)

    def _compute_loss(self, model, inputs):
        mode = "train" if self.model.training else "eval"
        gspo_token = (
            self.reward_mode == "process" and self.importance_sampling_level == "sequence" and self.loss_type in RATIO_GRADIENT
        )
        control = self.entropy_control if mode == "train" else None
        if self.beta == 0.0 and not gspo_token and control is None:
            return super()._compute_loss(model, inputs)
        try:
            with self._loss_call(inputs, gspo_token, control):
                loss = super()._compute_loss(model, inputs)
            logps, selected = self._captured_logps, self._cov_selected
        finally:
            self._captured_logps, self._cov_selected = None, None
        mask = self._loss_mask(inputs)
        if control is not None:
            loss = loss + self._entropy_control_term(logps, inputs, mask, selected, control, mode)
        if self.beta == 0.0:
            return loss
        ref_logps = inputs["ref_per_token_logps"]
        kl = per_token_kl(logps, ref_logps, self.kl_estimator)
        if self.args.use_bias_correction_kl and self.kl_estimator not in STRAIGHT_THROUGH:
            kl = kl * self._importance_weights(logps, inputs, mask)
        if not self.kl_in_reward:
            loss = loss + self.beta * self._aggregate(kl, mask, inputs, mode)
        self._log_kl(kl, logps, ref_logps, mask, mode)
        return loss

    def _aggregate(self, per_token: torch.Tensor, mask: torch.Tensor, inputs, mode: str) -> torch.Tensor:
        """A per-token term reduced with the loss type's own aggregation (so adding it is adding it per token)."""
        return aggregate_token_loss(
            per_token,
            mask,
            self.loss_type,
            accumulation_steps=self.current_gradient_accumulation_steps if mode == "train" else 1.0,
            max_completion_length=self.max_completion_length,
            num_items_normalizer=self._num_items_normalizer(inputs, mode),
        )

    def _entropy_control_term(self, logps, inputs, mask, selected, control: str, mode: str) -> torch.Tensor:
        """KL-Cov's loss on its selected tokens (Clip-Cov adds nothing: its tokens are only masked); logs the share."""
        totals = self.accelerator.reduce(torch.stack([(selected & mask.bool()).sum(), mask.sum()]).float(), reduction="sum")
        self._metrics[mode][f"entropy_control/{control}_frac"].append((totals[0] / totals[1].clamp(min=1.0)).item())
        if control != "kl_cov":
            return torch.zeros((), device=logps.device)
        per_token = kl_cov_token_loss(logps, self._old_logps(logps, inputs), inputs["advantages"], self.args.kl_cov_coef)
        if self.use_vllm and self.vllm_importance_sampling_correction:
            per_token = per_token * inputs["importance_sampling_ratio"]
        return self._aggregate(per_token * selected, mask, inputs, mode)

    def _update_kl_controller(self, sums: torch.Tensor, mode: str, in_reward: bool, local_rows: int = 0) -> None:
        """Adaptive β from ``sums`` = (KL sum, token count) already reduced over the processes: with KL in the reward
        once per generation batch (n = its completions, ``local_rows`` per process), with KL in the loss once per
        optimizer step (the window's token-mean KL, n = the step's completions)."""
        if self.kl_controller is None or mode != "train" or in_reward != self.kl_in_reward:
            return
        sums = sums.detach().double().cpu()
        if in_reward:
            n = local_rows * self.accelerator.num_processes
        else:
            self._kl_window += sums
            if not self.accelerator.sync_gradients:
                return
            sums, self._kl_window = self._kl_window, torch.zeros(2, dtype=torch.float64)
            n = self.args.per_device_train_batch_size * self.current_gradient_accumulation_steps * self.accelerator.num_processes
        self._metrics[mode]["beta"].append(self.kl_controller.beta)  # the β of the batch / step just measured
        self.beta = self.kl_controller.update((sums[0] / sums[1].clamp(min=1.0)).item(), n)

    def _importance_weights(self, logps: torch.Tensor, inputs, mask: torch.Tensor) -> torch.Tensor:
        """TRL's importance ratio π/π_old (token or sequence level) used by ``use_bias_correction_kl``."""
        log_ratio = logps - self._old_logps(logps, inputs)
        if self.importance_sampling_level == "sequence":
            log_ratio = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).unsqueeze(-1)
        return torch.exp(log_ratio)

    def _num_items_normalizer(self, inputs, mode: str):
        if self.loss_type not in TOKEN_SUM_OVER_ITEMS:
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
        self._update_kl_controller(torch.stack([sums[0], sums[-1]]), mode, in_reward=False)  # the reduced kl sums

    # ----------------------------------------------------------------------------------------------- resume
    def _save_checkpoint(self, model, trial):
        super()._save_checkpoint(model, trial)
        save_generation_state(self, checkpoint_dir(self, trial))

    def _load_optimizer_and_scheduler(self, checkpoint):
        super()._load_optimizer_and_scheduler(checkpoint)
        load_generation_state(self, checkpoint)


__all__ = ["GRPOPlusTrainer", "STRAIGHT_THROUGH", "aggregate_token_loss"]
