"""GRPOPlusConfig: TRL's GRPOConfig plus the grpo_plus fields, validated when the config is built."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from trl import GRPOConfig

from grpo_plus.advantages import CREDIT_CHOICES, SCALE_CHOICES
from grpo_plus.entropy import CLIP_COV_BOUNDS, CLIP_COV_RATIO, KL_COV_COEF, KL_COV_RATIO, validate_entropy_control
from grpo_plus.kl import KL_ESTIMATORS
from grpo_plus.kl_control import DEFAULT_HORIZON
from rewards._names import choice_error, split_names

logger = logging.getLogger(__name__)

REWARD_MODES = ("outcome", "process")
REWARD_ERRORS = ("raise", "none")
# TRL 1.16's loss types (grpo_plus pins trl to this minor range); checked here instead of at the first loss.
LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo", "cispo", "sapo", "luspo", "vespo")


def _choice_error(field_name: str, value: Any, choices) -> ValueError:
    return ValueError(choice_error(field_name, value, choices))


def parse_reward_funcs(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    """Accept a list of reward specs or a comma-separated string (``"accuracy,format"``)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"reward_funcs must be a list of names/import paths or a comma-separated string, got {value!r}")
    specs = [part for v in value for part in split_names(v)]
    if not specs:
        raise ValueError("reward_funcs is empty; name at least one reward (see `grpo-plus rewards list`)")
    return specs


@dataclass
class GRPOPlusConfig(GRPOConfig):
    """Drop-in replacement for ``trl.GRPOConfig``. TRL's ``beta``, ``scale_rewards``, ``reward_weights`` and
    ``loss_type`` keep their meaning; every field below is documented by its ``help``."""

    kl_estimator: str = field(
        default="k3",
        metadata={
            "help": "Per-token KL estimator of KL(π‖π_ref), with log_r = log π_ref − log π: 'k1' (−log_r), "
            "'k2' (½·log_r²), 'k3' (exp(log_r) − 1 − log_r, GRPO's and TRL's default), or the straight-through "
            "'k1+' / 'k3+' (value of k1 / k3, gradient of k2, which is the unbiased gradient of the KL; "
            "Tang & Munos 2025, arXiv 2506.09477). TRL's use_bias_correction_kl (default True) multiplies the KL "
            "by the ratio π/π_old, which makes the k1 and k3 gradients unbiased too; k1+ and k3+ never take that "
            "factor, since it would bias their k2 gradient again.",
            "choices": list(KL_ESTIMATORS),
        },
    )
    kl_in_reward: bool = field(
        default=False,
        metadata={
            "help": "Put the KL penalty in the reward instead of the loss: each sequence reward becomes "
            "r − β·Σ_t kl_t (estimator value, no gradient) before normalisation; in process mode each step reward "
            "loses β·Σ of its own tokens' kl. The loss then carries no KL term. Requires beta > 0. With "
            "scale_rewards='group', a group whose task rewards are all equal keeps only the KL term's spread and "
            "its std scaling blows that up to unit-size advantages: on sparse rewards k1 in the reward stopped "
            "learning altogether, and learned again with scale_rewards='batch' (docs/training_health.md). Use "
            "'batch' (or 'none') with kl_in_reward; the config warns otherwise."
        },
    )
    reward_mode: str = field(
        default="outcome",
        metadata={
            "help": "'outcome': one reward per completion (GRPO, DeepSeekMath §4.1.2). 'process': step rewards "
            "score every reasoning step and token t gets the sum (DeepSeekMath §4.1.3) or the minimum "
            "(process_credit) of the normalised rewards of the steps ending at or after it; outcome rewards listed "
            "beside step rewards add their own outcome advantage to every token.",
            "choices": list(REWARD_MODES),
        },
    )
    process_credit: str = field(
        default="sum",
        metadata={
            "help": "Process mode: how step rewards become token advantages. 'sum': token t gets the sum of the "
            "normalised rewards of the steps ending at or after it (DeepSeekMath §4.1.3, arXiv 2402.03300); 'min': "
            "their minimum (min-form credit assignment, Cheng et al. 2025, arXiv 2504.15275, which reports that the "
            "sum form lets a policy farm cheap high-reward steps and collapse). Outcome rewards listed beside step "
            "rewards add their outcome advantage to every token in both forms. Default 'sum': in this project's "
            "pre-registered long-chain experiment (docs/process_rewards.md) sum led min by 0.047 sampled AUC "
            "(2 SE 0.022) and outcome by 0.171; with a gameable step reward and no outcome reward it was min, not "
            "sum, that collapsed (the policy stopped writing separators). Keep an outcome reward beside the steps.",
            "choices": list(CREDIT_CHOICES),
        },
    )
    step_separator: str = field(
        default="\n\n",
        metadata={
            "help": "Process mode: the string that ends a reasoning step (it belongs to the step it ends). A "
            "completion without it is one step."
        },
    )
    reward_funcs: list[str] | None = field(
        default=None,
        metadata={
            "help": "Rewards by registry name (`grpo-plus rewards list`), import path 'module:function', or "
            "reward-model id; a comma-separated string is accepted ('accuracy,format'). Used by the CLI and by "
            "GRPOPlusTrainer when its reward_funcs argument is not given."
        },
    )
    reward_kwargs: dict[str, dict[str, Any]] | str | None = field(
        default=None,
        metadata={
            "help": "Keyword arguments per reward name, e.g. {'accuracy': {'timeout': 5}, "
            "'format': {'strict': False}}; on the command line, a JSON string."
        },
    )

    reward_errors: str = field(
        default="raise",
        metadata={
            "help": "What happens when a reward function raises or returns NaN/inf for a sample: 'raise' stops "
            "training with an error naming the reward, the sample index and the cause; 'none' treats that "
            "sample's reward as None (left out of the statistics, advantage 0) and logs a warning. A wrong number "
            "of values is always an error.",
            "choices": list(REWARD_ERRORS),
        },
    )

    dynamic_sampling: bool = field(
        default=False,
        metadata={
            "help": "DAPO's dynamic sampling (Yu et al. 2025, arXiv 2503.14476, §3.2) on the synchronous trainer: "
            "after scoring, groups whose rewards are all equal (std 0 over the gathered global batch; in process "
            "mode: all step and outcome rewards of the group equal; rewards before any KL penalty) give no "
            "gradient and are dropped, and fresh prompts are generated and scored until the generation batch holds "
            "its number of groups or max_resample_rounds are used up. Slots still empty are then filled with "
            "dropped groups (zero advantage, no gradient) so shapes stay fixed and no process waits on another. "
            "Logs dynamic_sampling/rounds, dynamic_sampling/dropped_groups and dynamic_sampling/kept_frac."
        },
    )
    max_resample_rounds: int = field(
        default=3,
        metadata={"help": "Dynamic sampling: extra generation rounds allowed per generation batch (≥ 0)."},
    )
    kl_target: float | None = field(
        default=None,
        metadata={
            "help": "Adaptive KL controller (Ziegler et al. 2019, arXiv 1909.08593; verl and OpenRLHF): after every "
            "update, β ← β·(1 + clip(KL/kl_target − 1, −0.2, 0.2)·n/kl_horizon), n the completions of the update "
            "(an optimizer step with KL in the loss, a generation batch with kl_in_reward). beta is the start "
            "value; β is logged as 'beta' and saved with checkpoints. None: fixed β."
        },
    )
    kl_horizon: int = field(
        default=DEFAULT_HORIZON,
        metadata={"help": "Adaptive KL controller: the horizon, in completions (verl's and OpenRLHF's default 10000)."},
    )
    entropy_control: str | None = field(
        default=None,
        metadata={
            "help": "Covariance-based entropy control (Cui et al. 2025, arXiv 2505.22617, as verl implements it): "
            "'clip_cov' drops the policy-gradient term of a random clip_cov_ratio of the tokens whose "
            "Cov(log π, A) lies in clip_cov_bounds; 'kl_cov' adds kl_cov_coef·|log π − log π_old| to the "
            "kl_cov_ratio tokens of largest covariance and, as in verl, lifts the PPO clip (KL-Cov replaces "
            "clipping; on-policy, with num_iterations=1, its penalty is 0). Token-level clipped-surrogate loss types "
            "only (grpo, bnpo, dr_grpo, dapo, luspo). None: off.",
            "choices": [None, "kl_cov", "clip_cov"],
        },
    )
    kl_cov_ratio: float = field(default=KL_COV_RATIO, metadata={"help": "KL-Cov: fraction of tokens penalised (verl's default)."})
    kl_cov_coef: float = field(default=KL_COV_COEF, metadata={"help": "KL-Cov: coefficient of the |log-ratio| penalty (verl's ppo_kl_coef)."})
    clip_cov_ratio: float = field(default=CLIP_COV_RATIO, metadata={"help": "Clip-Cov: fraction of tokens whose gradient is dropped (verl's default)."})
    clip_cov_bounds: list[float] = field(
        default_factory=lambda: list(CLIP_COV_BOUNDS),
        metadata={"help": "Clip-Cov: (lower, upper) open covariance band of the candidate tokens (verl's clip_cov_lb/ub)."},
    )

    def __post_init__(self):
        self.scale_rewards = {True: "group", False: "none"}.get(self.scale_rewards, self.scale_rewards)
        if self.kl_estimator not in KL_ESTIMATORS:
            raise _choice_error("kl_estimator", self.kl_estimator, KL_ESTIMATORS)
        if self.reward_mode not in REWARD_MODES:
            raise _choice_error("reward_mode", self.reward_mode, REWARD_MODES)
        if self.process_credit not in CREDIT_CHOICES:
            raise _choice_error("process_credit", self.process_credit, CREDIT_CHOICES)
        if self.reward_errors not in REWARD_ERRORS:
            raise _choice_error("reward_errors", self.reward_errors, REWARD_ERRORS)
        if self.scale_rewards not in SCALE_CHOICES:
            raise _choice_error("scale_rewards", self.scale_rewards, SCALE_CHOICES)
        if self.loss_type not in LOSS_TYPES:
            raise _choice_error("loss_type", self.loss_type, LOSS_TYPES)
        if self.beta is None or self.beta < 0:
            raise ValueError(f"beta={self.beta!r} is not valid; beta is the KL coefficient and must be ≥ 0")
        if self.kl_in_reward and self.beta == 0:
            raise ValueError(
                "kl_in_reward=True needs beta > 0 (beta scales the KL penalty subtracted from the reward); "
                "set beta, or kl_in_reward=False"
            )
        if self.kl_in_reward and self.scale_rewards == "group":
            logger.warning(
                "kl_in_reward=True with scale_rewards='group': a group whose task rewards are all equal gets "
                "unit-size advantages from the KL term alone; on sparse rewards this stopped learning "
                "(docs/training_health.md). scale_rewards='batch' learned there."
            )
        if not isinstance(self.step_separator, str) or not self.step_separator:
            raise ValueError(f"step_separator must be a non-empty string, got {self.step_separator!r}")
        needs_sum_then_normalize = self.reward_mode == "process" or self.kl_in_reward
        if needs_sum_then_normalize and self.multi_objective_aggregation != "sum_then_normalize":
            raise ValueError(
                f"multi_objective_aggregation={self.multi_objective_aggregation!r} is not supported with "
                "reward_mode='process' or kl_in_reward=True; valid choice: 'sum_then_normalize'"
            )
        self._check_stability_options()
        self.reward_funcs = parse_reward_funcs(self.reward_funcs)
        if isinstance(self.reward_kwargs, str):
            try:
                self.reward_kwargs = json.loads(self.reward_kwargs)
            except json.JSONDecodeError as error:
                raise ValueError(f"reward_kwargs is not valid JSON ({error}): {self.reward_kwargs!r}") from None
        if self.reward_kwargs is not None:
            if not isinstance(self.reward_kwargs, dict) or not all(
                isinstance(v, dict) for v in self.reward_kwargs.values()
            ):
                raise ValueError(
                    "reward_kwargs must map reward names to dicts of keyword arguments, e.g. "
                    f"{{'accuracy': {{'timeout': 5}}}}; got {self.reward_kwargs!r}"
                )
            if self.reward_funcs is not None:
                unknown = sorted(set(self.reward_kwargs) - set(self.reward_funcs))
                if unknown:
                    raise ValueError(
                        f"reward_kwargs names {unknown} that are not in reward_funcs {self.reward_funcs}"
                    )
        super().__post_init__()


    def _check_stability_options(self) -> None:
        if not isinstance(self.max_resample_rounds, int) or self.max_resample_rounds < 0:
            raise ValueError(f"max_resample_rounds={self.max_resample_rounds!r} is not valid; it must be an int ≥ 0")
        if self.dynamic_sampling and self.multi_objective_aggregation != "sum_then_normalize":
            raise ValueError(
                f"dynamic_sampling=True with multi_objective_aggregation={self.multi_objective_aggregation!r} is not "
                "supported; valid choice: 'sum_then_normalize'"
            )
        if self.kl_target is not None:
            if not self.kl_target > 0:
                raise ValueError(f"kl_target={self.kl_target!r} is not valid; the KL target must be > 0 (or None)")
            if self.beta == 0:
                raise ValueError("kl_target needs beta > 0 (beta is the controller's start value); set beta, or kl_target=None")
        if not isinstance(self.kl_horizon, (int, float)) or self.kl_horizon <= 0:
            raise ValueError(f"kl_horizon={self.kl_horizon!r} is not valid; it must be > 0")
        if self.entropy_control is not None and str(self.entropy_control).lower() in ("none", "null", ""):
            self.entropy_control = None
        validate_entropy_control(
            self.entropy_control,
            self.loss_type,
            self.importance_sampling_level,
            kl_cov_ratio=self.kl_cov_ratio,
            kl_cov_coef=self.kl_cov_coef,
            clip_cov_ratio=self.clip_cov_ratio,
            clip_cov_bounds=self.clip_cov_bounds,
        )
        if self.entropy_control is not None:
            clashes = {
                "top_entropy_quantile": self.top_entropy_quantile < 1.0,
                "entropy_coef": self.entropy_coef != 0.0 or self.use_adaptive_entropy,
                "off_policy_mask_threshold": self.off_policy_mask_threshold is not None,
                "delta": self.delta is not None and self.entropy_control == "kl_cov",
            }
            for name, clash in clashes.items():
                if clash:
                    raise ValueError(
                        f"entropy_control={self.entropy_control!r} cannot be combined with {name}="
                        f"{getattr(self, name)!r}: both select tokens of the policy loss through one token mask "
                        f"(set {name} to its default, or entropy_control=None)"
                    )


def config_reference_markdown() -> str:
    """docs/configuration.md's table of the grpo_plus fields, generated from their ``help`` metadata (the single
    source): one row per field GRPOPlusConfig adds to TRL's GRPOConfig, with its default (``default_factory``'s value
    where there is one), its choices and its help."""
    from dataclasses import MISSING, fields

    base = {f.name for f in fields(GRPOConfig)}
    rows = ["| field | default | choices | meaning |", "| --- | --- | --- | --- |"]
    for f in fields(GRPOPlusConfig):
        if f.name in base:
            continue
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        choices = ", ".join(f"`{c}`" for c in f.metadata.get("choices", []))
        help_text = f.metadata["help"].replace("|", "\\|")
        rows.append(f"| `{f.name}` | `{default!r}` | {choices} | {help_text} |")
    return "\n".join(rows)


if __name__ == "__main__":
    import sys

    sys.stdout.write(config_reference_markdown() + "\n")
