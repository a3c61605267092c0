"""GRPOPlusTrainer: TRL's GRPOTrainer with selectable KL estimators, KL in the reward, and process rewards.

The trainer is glue. It overrides TRL hooks and calls the functions in :mod:`grpo_plus.kl`,
:mod:`grpo_plus.scoring` (advantages of a scored batch), :mod:`grpo_plus.loss_terms` and :mod:`grpo_plus.entropy`:

- ``_generate`` / ``_calculate_rewards`` / the step rewards: fill this round's :class:`~grpo_plus.scoring.RoundScores`
  (tool masks, step split, step scores, the gathered reward matrix).
- ``_generate_and_score_completions``: only when ``kl_in_reward`` or ``reward_mode="process"``, replaces TRL's
  advantages with ours, computed from the round's :class:`~grpo_plus.scoring.ScoredBatch` on the gathered global
  batch, then sliced per process, as TRL does.
- ``_compute_loss``: TRL's loss inside :meth:`GRPOPlusTrainer._adapted_loss` (β, GSPO-token ratios, entropy-control
  masks, KL-in-reward advantages: its docstring says what changes and why), then the KL term
  ``β · aggregate(kl_t)`` with the chosen estimator and the loss type's own aggregation. Every TRL aggregation is
  linear in the per-token loss, so with ``k3`` this equals TRL's loss and gradient (tests/grpo_plus/test_trainer.py
  proves it for every loss type). ``_get_per_token_logps_and_entropies`` and ``get_high_entropy_mask`` are the
  hooks the adapted call runs through; they read and fill its :class:`~grpo_plus.loss_terms.LossCall`.
- ``_save_checkpoint`` / ``_load_optimizer_and_scheduler``: the generation buffer travels with the checkpoint
  (:mod:`grpo_plus.resume`), so a run resumed mid generation cycle continues exactly.

Every callable reward, the environment's ``get_reward`` included, is wrapped by :func:`grpo_plus.guard.guard_reward`
(``reward_errors`` decides whether a failing sample raises or becomes None).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math

import torch
from trl import GRPOConfig, GRPOTrainer
from trl.models.utils import disable_gradient_checkpointing

from grpo_plus.config import GRPOPlusConfig
from grpo_plus.dynamic_sampling import DynamicSampler
from grpo_plus.entropy import keep_mask, kl_cov_token_loss, select_tokens
from grpo_plus.kl import per_token_kl
from grpo_plus.kl_control import KLController
from grpo_plus.loss_terms import (
    RATIO_GRADIENT,
    TOKEN_SUM_OVER_ITEMS,
    LossCall,
    aggregate_token_loss,
    gspo_token_logps,
    importance_weights,
)
from grpo_plus.process import SeparatorMonitor, StepReward
from grpo_plus.qlora import disable_cpu_repacking
from grpo_plus.reward_setup import (
    add_turn_rewards,
    check_prompt_column,
    guard_environment_rewards,
    hide_turn_reward_tools,
    hide_turn_rewards,
    resolve_trainer_rewards,
)
from grpo_plus.resume import checkpoint_dir, load_generation_state, save_generation_state
from grpo_plus.sampling import batch_reward_metrics, degenerate_flags
from grpo_plus.scoring import RoundScores, ScoredBatch, batch_advantages, gathered_penalties, local_advantages


# TRL's use_bias_correction_kl multiplies the KL by the differentiable ratio ρ = π/π_old, which turns the gradient of
# any estimator k into the gradient of E_π[k]: unbiased for k1 and k3. The straight-through estimators already
# carry the unbiased gradient (that of k2); ρ would add k·∇log π and bias them again, so they skip it.
STRAIGHT_THROUGH = ("k1+", "k3+")
_ROW = "grpo_plus_row"  # (B,) global row index of each completion, for advantages computed in the loss call


def plus_config(args: GRPOConfig) -> GRPOPlusConfig:
    """``args`` as a :class:`GRPOPlusConfig`: itself if it is one; a plain ``trl.GRPOConfig`` keeps its values (TRL
    already checked them) and gets every grpo_plus field at the default its dataclass field declares."""
    if isinstance(args, GRPOPlusConfig):
        return args
    plus = GRPOPlusConfig.__new__(GRPOPlusConfig)
    plus.__dict__.update(vars(args))
    trl_fields = {f.name for f in dataclasses.fields(GRPOConfig)}
    for f in dataclasses.fields(GRPOPlusConfig):
        if f.name not in trl_fields:
            setattr(plus, f.name, f.default_factory() if f.default is dataclasses.MISSING else f.default)
    return plus


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
        args = plus_config(args)
        self.kl_estimator = args.kl_estimator
        self.kl_in_reward = args.kl_in_reward
        self.reward_mode = args.reward_mode
        self.step_separator = args.step_separator
        self.process_credit = args.process_credit
        self.entropy_control = args.entropy_control
        has_environment = kwargs.get("environment_factory") is not None
        check_prompt_column(positional[0] if positional else kwargs.get("train_dataset"), kwargs)
        self._round = RoundScores()  # what TRL's hooks learn while the current round is generated and scored
        self._deferred: dict[str, ScoredBatch] = {}  # kl_in_reward: per mode, the batch waiting for its loss call
        self._call: LossCall | None = None  # the adapted loss call in progress
        funcs = resolve_trainer_rewards(reward_funcs, args, self.reward_mode, has_environment, self._step_reward)
        self.separator_monitor = SeparatorMonitor()
        super().__init__(model, funcs, args, *positional, **kwargs)
        disable_cpu_repacking(self.model)  # bitsandbytes' CPU eval kernel rewrites 4-bit weights and breaks training
        guard_environment_rewards(self, args.reward_errors)
        hide_turn_reward_tools(self)
        if self.reward_mode == "process":
            add_turn_rewards(self, args.reward_errors, self._step_reward)
        self._levels = [getattr(f, "reward_level", "outcome") for f in self.reward_funcs]
        self.dynamic_sampler = None
        if args.dynamic_sampling:
            self.dynamic_sampler = DynamicSampler(self, self.train_dataset, args.max_resample_rounds, args.seed + 1)
        target = args.kl_target
        self.kl_controller = None if target is None else KLController(self.beta, target, args.kl_horizon)
        self._kl_window = torch.zeros(2, dtype=torch.float64)
        self._cov_generator = torch.Generator().manual_seed(args.seed + self.accelerator.process_index)
        if self.reward_mode == "process" and "step" not in self._levels:
            raise ValueError(
                f"reward_mode='process' needs at least one step-level reward; got only outcome rewards "
                f"{self.reward_func_names} (step rewards: see `grpo-plus rewards list`, e.g. 'arithmetic_steps' or "
                "'prm', or an environment with get_turn_rewards)"
            )

    # ----------------------------------------------------------------------------------------------- rewards
    def _step_reward(self, func, name: str) -> StepReward:
        """``func`` as TRL's reward function; it reaches this round's split and scores when called (late binding)."""
        return StepReward(
            func, name, split=lambda ids, texts: self._split_steps(ids, texts), store=lambda n, v: self._round.store(n, v)
        )

    def _generate(self, prompts):
        if self.tools:  # the per-rollout tool dicts TRL built for this batch
            self._sync_tool_dicts = [hide_turn_rewards(d) for d in self._sync_tool_dicts]
            self._async_tool_dicts = [hide_turn_rewards(d) for d in self._async_tool_dicts]
        result = super()._generate(prompts)
        self._round = RoundScores(tool_masks=result[2])  # tool masks: None for single-turn generation
        return result

    def _split_steps(self, completion_ids: list[list[int]], completions: list) -> tuple[list[list[str]], list[list[int]]]:
        """This round's steps, split once and shared by its step rewards (:meth:`RoundScores.steps`)."""
        return self._round.steps(self._tokenizer, self.step_separator, completion_ids, completions)

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        self._round.step_scores.clear()
        self._round.rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self._round.rewards

    # -------------------------------------------------------------------------------------------- advantages
    def _generate_and_score_completions(self, inputs):
        mode = "train" if self.model.training else "eval"
        if self.dynamic_sampler is not None and mode == "train":
            output, scored, stats = self.dynamic_sampler.generation_batch(inputs, self._score_round)
            metrics = batch_reward_metrics(scored.rewards, self.reward_weights, self.reward_func_names, self.num_generations)
            for name, value in {**metrics, **stats}.items():
                self._metrics["train"][name].append(value)
            loss_mask = self._loss_mask(output)
            output["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
        else:
            output = super()._generate_and_score_completions(inputs)
            if self.reward_mode == "outcome" and not self.kl_in_reward:
                return output
            scored = self._scored_batch()
        local_rows = torch.arange(output["completion_ids"].size(0)) + self._row_offset(output)
        if self.kl_in_reward and output.get("old_per_token_logps") is None and self._one_loss_call(mode):
            output[_ROW] = local_rows.to(output["completion_ids"].device)
            self._deferred[mode] = scored  # advantages computed in the loss call, from its log-probs
            return output
        token_kl = self._sampling_kl(output) * self._loss_mask(output) if self.kl_in_reward else None
        output["advantages"] = self._advantages(scored, token_kl, local_rows, output, mode, self.beta)
        return output

    def _score_round(self, inputs):
        """One round of dynamic sampling: TRL's generation and scoring, its ScoredBatch, the degenerate groups."""
        output = super()._generate_and_score_completions(inputs)
        scored = self._scored_batch()
        degenerate = degenerate_flags(scored.rewards, scored.step_scores, self.reward_weights, self._levels, self.num_generations)
        return output, scored, degenerate

    def _one_loss_call(self, mode: str) -> bool:
        """True when one loss call sees the whole local generation batch under the sampling weights."""
        return mode == "eval" or self.args.steps_per_generation == 1

    def _row_offset(self, output) -> int:
        return self.accelerator.process_index * output["completion_ids"].size(0)

    @staticmethod
    def _loss_mask(batch) -> torch.Tensor:
        mask = batch["completion_mask"]
        return mask * batch["tool_mask"] if "tool_mask" in batch else mask

    def _scored_batch(self) -> ScoredBatch:
        """This round as a ScoredBatch of the global batch; in process mode with the weighted step scores."""
        if self.reward_mode != "process":
            return self._round.gathered()
        step = [(f.__name__, float(w)) for f, w, lvl in zip(self.reward_funcs, self.reward_weights, self._levels) if lvl == "step"]
        return self._round.gathered([name for name, _ in step], [weight for _, weight in step])

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

    def _advantages(self, scored: ScoredBatch, token_kl, rows: torch.Tensor, batch, mode: str, beta: float):
        """Advantages of the local ``rows`` (global indices) of ``batch``: (B,) in outcome mode, (B, T) in process mode.

        ``token_kl`` (B, T): the sampling KL of the local rows (kl_in_reward, penalty ``beta``), gathered by row."""
        num_generations = self.num_generations if mode == "train" else self.num_generations_eval
        penalties = None
        if token_kl is not None:
            if self.kl_controller is not None and mode == "train":  # once per generation batch: its token-mean KL
                sums = torch.stack([token_kl.sum(), self._loss_mask(batch).sum()]).double().detach()
                sums = self.accelerator.reduce(sums, reduction="sum")
                self._update_kl_controller(sums, mode, in_reward=True, local_rows=token_kl.size(0))
            penalties = gathered_penalties(scored, token_kl, rows)
        advantages, metrics, shown = batch_advantages(
            scored, penalties, beta, self.reward_weights, self._levels, num_generations, self.scale_rewards,
            self.process_credit,
        )  # fmt: skip
        for name, value in metrics.items():
            self._metrics[mode][name].append(value)
        if "steps/per_completion" in metrics and mode == "train" and self.accelerator.is_main_process:
            self.separator_monitor.update(metrics["steps/per_completion"], metrics["steps/no_separator_frac"])
        self._replace_logged_advantages(shown)
        local = local_advantages(advantages, rows, batch["completion_ids"].size(1)).to(batch["completion_ids"].device)
        return local * batch["tool_mask"] if local.ndim == 2 and "tool_mask" in batch else local

    def _replace_logged_advantages(self, advantages: torch.Tensor) -> None:
        """TRL logged its own per-completion advantages for the completions table; show ours instead."""
        logged = self._logs["advantages"]
        for _ in range(min(advantages.numel(), len(logged))):
            logged.pop()
        logged.extend(advantages.detach().float().cpu().tolist())

    # ------------------------------------------------------------------------------------------------- loss
    @contextlib.contextmanager
    def _adapted_loss(self, call: LossCall):
        """Run TRL's ``_compute_loss`` adapted to grpo_plus: every change grpo_plus makes inside TRL's loss is here.

        - β: TRL's loss runs with β = 0; ``_compute_loss`` adds β·aggregate(kl_t) of the chosen estimator after it
          (equal to TRL's KL term for k3, since every TRL aggregation is linear in the per-token loss).
        - GSPO-token (``call.gspo_token``: process mode, ``importance_sampling_level="sequence"``, a loss type whose
          gradient flows through the ratio): TRL runs at token level on :func:`~grpo_plus.loss_terms.gspo_token_logps`,
          so token-level advantages keep their token-level credit.
        - Entropy control (``call.control``): ``top_entropy_quantile = 0`` makes TRL call ``get_high_entropy_mask``,
          which returns the tokens KL-Cov / Clip-Cov keep; KL-Cov also lifts the PPO clip (verl's KL-Cov loss has none).
        - KL-in-reward advantages (``call.pending``): the penalty needs the policy log-probs of exactly this forward,
          so ``_get_per_token_logps_and_entropies`` computes ``inputs["advantages"]`` right after TRL's forward and
          before TRL reads them: no extra forward.

        The hooks find the call in ``self._call``; the log-prob hook sets ``call.logps``, the mask hook
        ``call.selected``. TRL's attributes changed here are restored on exit (β: the controller's, if it moved).
        """
        saved = (self.beta, self.importance_sampling_level, self.top_entropy_quantile, self.epsilon_low, self.epsilon_high)
        self.beta = 0.0
        if call.gspo_token:
            self.importance_sampling_level = "token"
        if call.control is not None:
            self.top_entropy_quantile = 0.0  # makes TRL call get_high_entropy_mask, which selects the tokens
        if call.control == "kl_cov":
            self.epsilon_low, self.epsilon_high = 1.0, math.inf  # clamp(ρ, 0, ∞) = ρ: no clip
        self._call = call
        try:
            yield call
        finally:
            self.beta, self.importance_sampling_level, self.top_entropy_quantile, self.epsilon_low, self.epsilon_high = saved
            if self.kl_controller is not None:  # kl_in_reward may have updated β inside the call
                self.beta = self.kl_controller.beta
            self._call = None

    def _get_per_token_logps_and_entropies(self, *args, **kwargs):
        result = super()._get_per_token_logps_and_entropies(*args, **kwargs)
        call = self._call
        if call is None or call.logps is not None:  # outside an adapted loss call, or not its policy forward
            return result
        call.logps = logps = result[0]
        inputs = call.inputs
        if call.pending is not None:  # kl_in_reward: the advantages of this generation batch need its log-probs
            mode = "train" if self.model.training else "eval"
            token_kl = per_token_kl(logps.detach(), inputs["ref_per_token_logps"], self.kl_estimator) * self._loss_mask(inputs)
            inputs["advantages"] = self._advantages(call.pending, token_kl, call.rows, inputs, mode, call.beta)
        if call.gspo_token:
            result = (gspo_token_logps(logps, self._old_logps(logps, inputs), self._loss_mask(inputs)), *result[1:])
        return result

    @staticmethod
    def _old_logps(logps: torch.Tensor, inputs) -> torch.Tensor:
        old = inputs.get("old_per_token_logps")
        return logps.detach() if old is None else old

    def get_high_entropy_mask(self, entropies: torch.Tensor, mask: torch.Tensor, threshold: float) -> torch.Tensor:
        """TRL's token-mask hook; with ``entropy_control`` it returns the tokens that keep their policy-gradient term
        (Clip-Cov drops its draw, KL-Cov moves its selection to the penalised term added after TRL's loss)."""
        call = getattr(self, "_call", None)  # TRL's own tests call it on a bare Mock(spec=GRPOTrainer)
        if call is None or call.control is None:
            return super().get_high_entropy_mask(entropies, mask, threshold)
        logps, args = call.logps.detach(), self.args
        call.selected = select_tokens(
            call.control, logps, self._old_logps(logps, call.inputs), call.inputs["advantages"], mask,
            ratio=args.clip_cov_ratio if call.control == "clip_cov" else args.kl_cov_ratio,
            bounds=args.clip_cov_bounds, generator=self._cov_generator, clip=(self.epsilon_low, self.epsilon_high),
        )  # fmt: skip
        return keep_mask(call.selected, mask).to(entropies.dtype)

    def _compute_loss(self, model, inputs):
        mode = "train" if self.model.training else "eval"
        gspo_token = (
            self.reward_mode == "process" and self.importance_sampling_level == "sequence" and self.loss_type in RATIO_GRADIENT
        )
        control = self.entropy_control if mode == "train" else None
        if self.beta == 0.0 and not gspo_token and control is None:
            return super()._compute_loss(model, inputs)
        call = LossCall(inputs, self.beta, gspo_token, control)
        if _ROW in inputs:  # kl_in_reward: this generation batch's advantages wait for the call's log-probs
            call.pending, call.rows = self._deferred.pop(mode), inputs.pop(_ROW).cpu()
        with self._adapted_loss(call):
            loss = super()._compute_loss(model, inputs)
        mask = self._loss_mask(inputs)
        if control is not None:
            loss = loss + self._entropy_control_term(call, mask, mode)
        if self.beta == 0.0:
            return loss
        logps, ref_logps = call.logps, inputs["ref_per_token_logps"]
        kl = per_token_kl(logps, ref_logps, self.kl_estimator)
        if self.args.use_bias_correction_kl and self.kl_estimator not in STRAIGHT_THROUGH:
            kl = kl * importance_weights(logps, self._old_logps(logps, inputs), mask, self.importance_sampling_level)
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

    def _entropy_control_term(self, call: LossCall, mask: torch.Tensor, mode: str) -> torch.Tensor:
        """KL-Cov's loss on its selected tokens (Clip-Cov adds nothing: its tokens are only masked); logs the share."""
        logps, inputs, selected, control = call.logps, call.inputs, call.selected, call.control
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


__all__ = ["GRPOPlusTrainer", "STRAIGHT_THROUGH", "plus_config"]
