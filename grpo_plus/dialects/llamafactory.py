"""LLaMA-Factory's training YAML, translated into GRPOPlusConfig / TRL ModelConfig / DatasetArguments fields.

:data:`KEYS` is the one table: each LLaMA-Factory key, the fields it becomes, and its conversion (the "Coming from
LLaMA-Factory" table of docs/llamafactory.md is generated from it: ``python -m grpo_plus.dialects``). Key meanings
and defaults are LLaMA-Factory's (``src/llamafactory/hparams/{finetuning,model,data,generating}_args.py``):

- a batch counts **prompts** in LLaMA-Factory and **completions** in TRL: ``per_device_train_batch_size: p`` with
  ``num_generations: G`` becomes TRL's ``per_device_train_batch_size = p·G`` (p prompts with their G completions per
  device step). ``gradient_accumulation_steps: a`` keeps its value, so TRL's defaults give
  ``steps_per_generation = a`` and ``generation_batch_size = p·G·a·processes`` completions: one generation round of
  ``p·a·processes`` prompts per optimizer step, LLaMA-Factory's effective batch. A ``generation_batch_size`` or
  ``steps_per_generation`` given in the file is TRL's and counts completions;
- ``cutoff_len`` is the prompt + completion token budget: ``max_completion_length`` = ``max_new_tokens`` (or TRL's
  ``max_completion_length`` if given; else LLaMA-Factory's default 1024, at most ``cutoff_len // 2``), and
  ``max_prompt_length`` = the rest. TRL 1.16 has no prompt truncation (GRPOConfig lost ``max_prompt_length``), so
  prompts longer than ``max_prompt_length`` tokens are left out of the dataset with a warning; LLaMA-Factory cuts
  their tokens instead, which would cut a problem away from its reference answer;
- ``finetuning_type`` defaults to ``lora``, with ``lora_rank`` 8, ``lora_alpha`` 2·rank, ``lora_dropout`` 0 and
  ``lora_target: all`` (every linear layer), as in LLaMA-Factory; the frozen base weights load in the compute dtype
  (bf16 / fp16 / float32, from ``bf16`` / ``fp16``);
- keys TRL / grpo_plus already know (``learning_rate``, ``num_train_epochs``, ``bf16``, ``output_dir``,
  ``reward_funcs``, ...) pass through unchanged.

Every converted key is logged once (``pref_beta=0.04 -> beta=0.04``). Unknown keys fail with the closest name from
both vocabularies; LLaMA-Factory keys that grpo-plus cannot honour (:data:`UNSUPPORTED`) fail unless they hold
LLaMA-Factory's default value, in which case they have no effect anyway.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from grpo_plus.dialects.chat_templates import check_template_name
from rewards._names import choice_error, closest, split_names

logger = logging.getLogger(__name__)

NAME = "llamafactory"
DIALECTS = ("trl", NAME)
STAGES = ("grpo",)
FINETUNING_TYPES = ("lora", "full")
QUANTIZATION_BITS = (4, 8)
QUANTIZATION_METHODS = ("bnb", "bitsandbytes")
QUANT_TYPES = ("nf4", "fp4")
FLASH_ATTN = {"auto": None, "disabled": "eager", "sdpa": "sdpa", "fa2": "flash_attention_2", "fa3": "flash_attention_3"}
LF_MAX_NEW_TOKENS = 1024  # LLaMA-Factory's GeneratingArguments.max_new_tokens default


class DialectError(ValueError):
    """A config key or value that cannot be translated; the message names the key and the valid choices."""


_UNSET = object()


def _always(ctx: Context) -> bool:
    return True


@dataclass(frozen=True)
class Key:
    """One LLaMA-Factory key.

    Attributes:
        name: the key as written in a LLaMA-Factory YAML.
        targets: the GRPOPlusConfig / ModelConfig / DatasetArguments fields it becomes (docs/llamafactory.md column).
        meaning: what the conversion does (docs/llamafactory.md column).
        convert: ``(value, ctx) -> {field: value}``; raises DialectError for an unsupported value.
        kind: the value's type (int, float, bool, str); command-line strings are converted to it.
        default: LLaMA-Factory's default, filled in when the key is absent and ``when`` holds (a callable of the
            context for defaults that depend on other keys); ``_UNSET``: nothing is filled in.
        when: whether the key has an effect here; a value given while it does not is ignored with a warning.
        soft: outputs that yield to the same field given explicitly (e.g. ``dtype``).
        note: ``(value, ctx) -> str`` appended to the log line (what the conversion means for this value).
        merges: the conversion merges its output into the same field given explicitly (no conflict).
    """

    name: str
    targets: tuple[str, ...]
    meaning: str
    convert: Callable[[Any, Context], dict[str, Any]]
    kind: type = str
    default: Any = _UNSET
    when: Callable[[Context], bool] = _always
    soft: tuple[str, ...] = ()
    note: Callable[[Any, Context], str] | None = None
    merges: bool = False


class Context:
    """The merged mapping (the file's keys, command-line overrides, LLaMA-Factory defaults filled in so far)."""

    def __init__(self, values: dict[str, Any], trl_defaults: Mapping[str, Any], explicit: Iterable[str] = ()):
        self.values = values
        self.trl_defaults = trl_defaults
        self.explicit = set(explicit)  # native fields set on the command line

    def get(self, name: str, fallback: Any = None) -> Any:
        if name in self.values:
            return self.values[name]
        return self.trl_defaults.get(name, fallback)

    def has(self, name: str) -> bool:
        return name in self.values


def _choice(key: str, value: Any, choices: Iterable[Any], why: str = "") -> DialectError:
    return DialectError(choice_error(key, value, choices, why, problem="is not supported"))


def _positive(key: str, value: int) -> int:
    if value < 1:
        raise DialectError(f"{key}={value!r} is not valid; it must be a positive integer")
    return value


def compute_dtype(ctx: Context) -> str:
    """LLaMA-Factory's compute dtype: bfloat16 with ``bf16``, float16 with ``fp16``, else float32."""
    if ctx.get("bf16") is True:
        return "bfloat16"
    if ctx.get("fp16") is True:
        return "float16"
    return "float32"


def _is_lora(ctx: Context) -> bool:
    return ctx.get("finetuning_type") == "lora"


def _quantized(ctx: Context) -> bool:
    return ctx.get("quantization_bit") is not None


# ------------------------------------------------------------------------------------------------- conversions
def _stage(value, ctx):
    if value not in STAGES:
        raise _choice("stage", value, STAGES, ": grpo-plus trains GRPO only (train LLaMA-Factory's "
                      f"{value!r} stage with LLaMA-Factory)")
    return {}


def _finetuning_type(value, ctx):
    if value == "lora":
        out = {"use_peft": True}
        if not _quantized(ctx):
            out["dtype"] = compute_dtype(ctx)
        return out
    if value == "full":
        return {"use_peft": False}
    why = {
        "freeze": " (LLaMA-Factory trains only the last freeze_trainable_layers layers; GRPOTrainer has no layer "
        "freezing, and training every layer instead would not be what the config asks)",
        "oft": " (OFT adapters are not wired into grpo-plus)",
    }.get(value, "")
    raise _choice("finetuning_type", value, FINETUNING_TYPES, why)


def _lora_target(value, ctx):
    names = split_names(value)
    if not names:
        raise DialectError("lora_target is empty; use 'all' (every linear layer) or module names such as q_proj,v_proj")
    if names == ["all"]:
        return {"lora_target_modules": "all-linear"}
    if "all" in names:
        raise DialectError(f"lora_target={value!r} mixes 'all' with module names; use 'all' alone or names only")
    return {"lora_target_modules": names}


def _additional_target(value, ctx):
    return {"lora_modules_to_save": split_names(value)}


def _quantization_bit(value, ctx):
    if value not in QUANTIZATION_BITS:
        raise _choice("quantization_bit", value, QUANTIZATION_BITS, " (bitsandbytes quantises to 4 or 8 bits)")
    if not _is_lora(ctx):
        raise DialectError(
            f"quantization_bit={value} needs finetuning_type: lora (a quantised model trains LoRA adapters only, as "
            f"in LLaMA-Factory); finetuning_type is {ctx.get('finetuning_type')!r}"
        )
    return {"load_in_4bit" if value == 4 else "load_in_8bit": True, "dtype": compute_dtype(ctx)}


def _quantization_method(value, ctx):
    if value not in QUANTIZATION_METHODS:
        raise _choice("quantization_method", value, QUANTIZATION_METHODS,
                      " (grpo-plus quantises on the fly with bitsandbytes only)")
    return {}


def _quantization_type(value, ctx):
    if value not in QUANT_TYPES:
        raise _choice("quantization_type", value, QUANT_TYPES)
    return {"bnb_4bit_quant_type": value}


def _dataset(value, ctx):
    names = ",".join(split_names(value))
    if not names:
        raise DialectError("dataset is empty; name datasets registered in <dataset_dir>/dataset_info.json")
    return {"dataset_name": names}


def _template(value, ctx):
    try:
        check_template_name(value)
    except ValueError as err:
        raise DialectError(str(err)) from None
    return {"template": value}


def _completion_budget(ctx: Context) -> tuple[int, bool]:
    """(max_completion_length, whether it was given) from max_new_tokens, TRL's max_completion_length or the
    cutoff_len split."""
    if ctx.has("max_new_tokens") and "max_completion_length" not in ctx.explicit:
        return ctx.get("max_new_tokens"), True
    if ctx.has("max_completion_length"):
        return ctx.get("max_completion_length"), True
    return min(LF_MAX_NEW_TOKENS, ctx.get("cutoff_len") // 2), False


def _cutoff_len(value, ctx):
    _positive("cutoff_len", value)
    completion, given = _completion_budget(ctx)
    if completion >= value:
        raise DialectError(
            f"cutoff_len={value} leaves no room for the prompt with max_new_tokens={completion} (cutoff_len is the "
            "prompt + completion token budget); raise cutoff_len or lower max_new_tokens"
        )
    if completion < 1:
        raise DialectError(f"cutoff_len={value} is too small to hold a completion; it must be at least 2")
    out = {"max_prompt_length": value - completion}
    if not given:
        out["max_completion_length"] = completion
    return out


def _max_new_tokens(value, ctx):
    return {"max_completion_length": _positive("max_new_tokens", value)}


def _per_device(field: str, generations_field: str | None = None):
    def convert(value, ctx):
        _positive(field, value)
        groups = ctx.get(generations_field) if generations_field else None
        groups = groups or ctx.get("num_generations")
        return {field: value * groups}

    return convert


def _enable_thinking(value, ctx):
    kwargs = ctx.get("chat_template_kwargs") or {}
    if isinstance(kwargs, str):
        kwargs = json.loads(kwargs)
    return {"chat_template_kwargs": {**kwargs, "enable_thinking": value}}


def _flash_attn(value, ctx):
    if value not in FLASH_ATTN:
        raise _choice("flash_attn", value, FLASH_ATTN)
    return {"attn_implementation": FLASH_ATTN[value]}


def _warmup_ratio(value, ctx):
    if not 0.0 <= value < 1.0:
        raise DialectError(f"warmup_ratio={value!r} is not valid; it is a fraction of the training steps in [0, 1)")
    return {"warmup_steps": value}


def _mix_strategy(value, ctx):
    if value != "concat":
        raise _choice("mix_strategy", value, ("concat",), " (datasets are concatenated; interleaving is not "
                      "implemented)")
    return {}


def _no_effect(value, ctx):
    return {}


def _rename(field: str, check: Callable[[str, Any], Any] | None = None):
    def convert(value, ctx):
        return {field: check(field, value) if check else value}

    return convert


KEYS: tuple[Key, ...] = (
    Key("stage", (), "only `grpo`; any other stage is an error (grpo-plus trains GRPO)", _stage,
        note=lambda value, ctx: "GRPOPlusTrainer"),
    Key("finetuning_type", ("use_peft", "dtype"),
        "`lora` (LLaMA-Factory's default) → `use_peft: true`, base weights in the compute dtype; `full` → "
        "`use_peft: false`; `freeze` / `oft` → error", _finetuning_type, default="lora", soft=("dtype",)),
    Key("lora_rank", ("lora_r",), "the LoRA rank (default 8)", _rename("lora_r", _positive), int, default=8,
        when=_is_lora),
    Key("lora_alpha", ("lora_alpha",), "LoRA alpha (default 2 × `lora_rank`)", _rename("lora_alpha"), int,
        default=lambda ctx: 2 * ctx.get("lora_rank"), when=_is_lora),
    Key("lora_dropout", ("lora_dropout",), "LoRA dropout (default 0)", _rename("lora_dropout"), float, default=0.0,
        when=_is_lora),
    Key("lora_target", ("lora_target_modules",),
        "`all` (default) → `all-linear` (every linear layer but the output head); `q_proj,v_proj` → a list",
        _lora_target, default="all", when=_is_lora),
    Key("additional_target", ("lora_modules_to_save",), "comma list → modules trained and saved in full",
        _additional_target, when=_is_lora),
    Key("pref_beta", ("beta",), "KL coefficient β (GRPO's KL penalty; TRL's default 0 when not given)",
        _rename("beta"), float),
    Key("quantization_bit", ("load_in_4bit", "load_in_8bit", "dtype"),
        "`4` → `load_in_4bit` (QLoRA: NF4 base + LoRA), `8` → `load_in_8bit`; needs `finetuning_type: lora`; "
        "bitsandbytes compute dtype = the compute dtype", _quantization_bit, int, soft=("dtype",)),
    Key("quantization_method", (), "`bnb` (default) or `bitsandbytes`; other methods → error", _quantization_method,
        default="bnb", when=_quantized),
    Key("quantization_type", ("bnb_4bit_quant_type",), "`nf4` (default) or `fp4`", _quantization_type,
        when=lambda ctx: ctx.get("quantization_bit") == 4),
    Key("double_quantization", ("use_bnb_nested_quant",), "nested quantisation of the 4-bit constants (default true)",
        _rename("use_bnb_nested_quant"), bool, default=True, when=lambda ctx: ctx.get("quantization_bit") == 4),
    Key("dataset", ("dataset_name",), "comma list of datasets registered in `<dataset_dir>/dataset_info.json`",
        _dataset),
    Key("dataset_dir", ("dataset_dir",), "folder of `dataset_info.json` (default `data`); `ONLINE`: hub names",
        _rename("dataset_dir"), default="data", when=lambda ctx: ctx.has("dataset")),
    Key("template", ("template",),
        "chat template: the tokenizer's own when it has one, else the built-in of that name; not set → `empty` (the "
        "tokenizer's template, else plain text, as in LLaMA-Factory)", _template, default="empty"),
    Key("default_system", ("system_prompt",), "system message of prompts that have none", _rename("system_prompt")),
    Key("cutoff_len", ("max_prompt_length", "max_completion_length"),
        "prompt + completion budget: completion = `max_new_tokens` (else min(1024, cutoff_len // 2)), prompt = the "
        "rest (longer prompts are left out)", _cutoff_len, int),
    Key("max_new_tokens", ("max_completion_length",), "tokens generated per completion", _max_new_tokens, int),
    Key("per_device_train_batch_size", ("per_device_train_batch_size",),
        "prompts per device step (default 8) × `num_generations` = TRL's completions per device step",
        _per_device("per_device_train_batch_size"), int, default=8,
        note=lambda value, ctx: f"({value} prompt(s) × num_generations={ctx.get('num_generations')} completions)"),
    Key("per_device_eval_batch_size", ("per_device_eval_batch_size",),
        "prompts × (`num_generations_eval` or `num_generations`)",
        _per_device("per_device_eval_batch_size", "num_generations_eval"), int),
    Key("enable_thinking", ("chat_template_kwargs",), "passed to the chat template (`enable_thinking`)",
        _enable_thinking, bool, merges=True),
    Key("flash_attn", ("attn_implementation",), "`auto` → transformers' choice, `disabled` → `eager`, `sdpa`, "
        "`fa2` → `flash_attention_2`, `fa3` → `flash_attention_3`", _flash_attn),
    Key("disable_gradient_checkpointing", ("activation_checkpointing",), "true → `activation_checkpointing: false`",
        lambda value, ctx: {"activation_checkpointing": not value}, bool),
    Key("warmup_ratio", ("warmup_steps",), "a ratio in [0, 1) (transformers 5 takes it as `warmup_steps`)",
        _warmup_ratio, float),
    Key("mix_strategy", (), "`concat` only (datasets are concatenated)", _mix_strategy),
    Key("plot_loss", (), "accepted: every run writes its curves to `<output_dir>/grpo_metrics/` (reward and "
        "reward_std first, KL, entropy, lengths, loss)", _no_effect, bool,
        note=lambda value, ctx: f"curves in {ctx.get('output_dir', '<output_dir>')}/grpo_metrics/ (every run)"),
    Key("overwrite_output_dir", (), "no effect: TRL writes into an existing output_dir", _no_effect, bool),
    Key("overwrite_cache", (), "no effect: grpo-plus keeps no preprocessing cache", _no_effect, bool),
    Key("preprocessing_num_workers", (), "no effect: prompts are tokenised by the trainer", _no_effect, int),
    Key("preprocessing_batch_size", (), "no effect: prompts are tokenised by the trainer", _no_effect, int),
)
KEY_BY_NAME = {key.name: key for key in KEYS}

# LLaMA-Factory keys grpo-plus cannot honour: (the values that are LLaMA-Factory's default and so do nothing, why).
UNSUPPORTED: dict[str, tuple[tuple[Any, ...], str]] = {
    "eval_dataset": ((None,), "evaluation sets are not translated; use dataset_test_split with dataset_name"),
    "val_size": ((0, 0.0), "held-out splits are not translated; use dataset_test_split with dataset_name"),
    "freeze_trainable_layers": ((2,), "layer freezing is not supported (finetuning_type: freeze)"),
    "freeze_trainable_modules": (("all",), "layer freezing is not supported (finetuning_type: freeze)"),
    "freeze_extra_modules": ((None,), "layer freezing is not supported (finetuning_type: freeze)"),
    "adapter_name_or_path": ((None,), "resuming from a LoRA adapter is not translated; merge it into the model"),
    "ref_model": ((None,), "the reference model is the initial policy (or the adapter-free base with LoRA)"),
    "reward_model": ((None,), "GRPO rewards are functions: name them in reward_funcs (`grpo-plus rewards list`)"),
    "use_unsloth": ((False,), "Unsloth is not integrated"),
    "use_unsloth_gc": ((False,), "Unsloth is not integrated"),
    "enable_liger_kernel": ((False,), "set TRL's use_liger_kernel instead"),
    "use_galore": ((False,), "GaLore is not integrated"),
    "use_apollo": ((False,), "APOLLO is not integrated"),
    "use_badam": ((False,), "BAdam is not integrated"),
    "use_llama_pro": ((False,), "LLaMA Pro block expansion is not integrated"),
    "pissa_init": ((False,), "PiSSA initialisation is not integrated"),
    "loraplus_lr_ratio": ((None,), "LoRA+ learning rates are not integrated"),
    "pure_bf16": ((False,), "pure bf16 (no fp32 master weights) is not translated; set dtype: bfloat16 yourself"),
    "packing": ((None, False), "GRPO does not pack prompts"),
    "neat_packing": ((False,), "GRPO does not pack prompts"),
    "train_on_prompt": ((False,), "an SFT option; GRPO never trains on prompts"),
    "mask_history": ((False,), "an SFT option"),
    "streaming": ((False,), "streaming of dataset_info.json datasets is not supported"),
    "tokenized_path": ((None,), "prompts are tokenised by the trainer; there is no tokenised cache"),
    "interleave_probs": ((None,), "datasets are concatenated (mix_strategy: concat)"),
    "tool_format": ((None,), "tool use is not supported"),
    "pref_loss": (("sigmoid",), "a DPO loss; GRPO's loss is TRL's loss_type"),
    "pref_ftx": ((0, 0.0), "an SFT term of DPO; not part of GRPO"),
    "rope_scaling": ((None,), "RoPE scaling is not translated; set it in the model's config"),
    "shift_attn": ((False,), "S²-Attn is not integrated"),
    "resize_vocab": ((False,), "vocabulary resizing is not translated"),
    "upcast_layernorm": ((False,), "not translated"),
    "upcast_lmhead_output": ((False,), "not translated"),
    "train_from_scratch": ((False,), "GRPO starts from a trained model"),
    "quantization_device_map": ((None,), "not translated"),
    "use_swanlab": ((False,), "SwanLab is not integrated; use TRL's report_to"),
}

# Native fields whose command-line value is read as LLaMA-Factory's when the config is LLaMA-Factory style.
REREAD_FLAGS = ("per_device_train_batch_size", "per_device_eval_batch_size", "num_generations",
                "num_generations_eval", "max_completion_length")


# ------------------------------------------------------------------------------------------------- translation
def _coerce(key: Key, value: Any) -> Any:
    """``value`` as ``key.kind`` (command-line strings are converted); a clear error for a value of the wrong type."""
    kind = key.kind
    if isinstance(value, str) and kind is not str:
        text = value.strip().lower()
        try:
            if kind is bool and text in ("true", "false", "yes", "no", "1", "0"):
                return text in ("true", "yes", "1")
            if kind is int:
                return int(text)
            if kind is float:
                return float(text)
        except ValueError:
            pass
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if value is None or (isinstance(value, kind) and not (kind is int and isinstance(value, bool))):
        return value
    expected = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}[kind]
    raise DialectError(f"{key.name}={value!r} is not valid; expected {expected}")


def _trl_defaults() -> dict[str, Any]:
    from trl import GRPOConfig, ModelConfig

    out = {}
    for cls in (GRPOConfig, ModelConfig):
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
    return out


def lf_only_keys(native: Iterable[str]) -> set[str]:
    """The LLaMA-Factory keys that are not also grpo_plus / TRL fields (any of them marks a config as LLaMA-Factory
    style), plus ``dialect``."""
    native = set(native)
    return ({key.name for key in KEYS} | set(UNSUPPORTED) | {"dialect"}) - native


def translate_mapping(
    values: dict[str, Any],
    native: set[str],
    source: str,
    explicit_native: Iterable[str] = (),
) -> dict[str, Any]:
    """Translate a LLaMA-Factory mapping into native fields, logging each conversion once.

    Args:
        values: the file's keys with command-line overrides applied (``dialect`` and ``env`` removed).
        native: every field of GRPOPlusConfig, ModelConfig and DatasetArguments.
        source: where the keys come from (the config path), for messages.
        explicit_native: native fields set on the command line (they win over the file and over soft outputs).

    Returns:
        the native fields -> values (keys TRL already knows pass through).

    Raises:
        DialectError: unknown keys (with the closest name), unsupported keys or values, conflicting keys.
    """
    errors = []
    for name in values:
        if name in KEY_BY_NAME or name in native:
            continue
        if name in UNSUPPORTED:
            harmless, why = UNSUPPORTED[name]
            if values[name] in harmless:
                logger.info("%s=%r -> no effect (LLaMA-Factory's default)", name, values[name])
                continue
            errors.append(
                f"{name}={values[name]!r} is not supported by grpo-plus: {why}; remove it (LLaMA-Factory's default "
                f"is {harmless[0]!r})"
            )
        else:
            errors.append(unknown_key_message(name, native, source))
    if errors:
        raise DialectError("\n".join(errors))
    if "model_name_or_path" not in values and "model_name_or_path" not in set(explicit_native):
        raise DialectError(f"model_name_or_path is not set in {source} (LLaMA-Factory requires it too)")

    explicit_native = set(explicit_native)
    values = {name: _coerce(KEY_BY_NAME[name], v) if name in KEY_BY_NAME else v for name, v in values.items()}
    ctx = Context(dict(values), _trl_defaults(), explicit_native)
    out = {name: value for name, value in values.items() if name in native and name not in KEY_BY_NAME}
    file_native = set(out)
    for key in KEYS:
        present = key.name in values
        if not present and key.default is _UNSET:
            continue
        if not key.when(ctx):
            if present:
                logger.warning("%s=%r has no effect in %s (LLaMA-Factory ignores it here too)", key.name,
                               values[key.name], source)
            continue
        if present:
            value = values[key.name]
        else:
            value = key.default(ctx) if callable(key.default) else key.default
        ctx.values[key.name] = value
        produced = key.convert(value, ctx)
        kept = {}
        for field_name, field_value in produced.items():
            if field_name != key.name and field_name in explicit_native:
                continue  # the command line wins over the file
            if field_name != key.name and field_name in file_native:
                if field_name in key.soft:
                    continue
                if out[field_name] != field_value and not key.merges:
                    raise DialectError(
                        f"{key.name} and {field_name} are both set in {source}; {key.name} is LLaMA-Factory's "
                        f"name for it ({key.name}={value!r} -> {field_name}={field_value!r}, but "
                        f"{field_name}={out[field_name]!r}); keep one of them"
                    )
            kept[field_name] = field_value
        out.update(kept)
        where = f"{key.name}={value!r}" if present else f"{key.name} (not set; LLaMA-Factory's default {value!r})"
        result = ", ".join(f"{k}={v!r}" for k, v in kept.items())
        note = key.note(value, ctx) if key.note is not None else ""
        logger.info("%s -> %s", where, " ".join(part for part in (result, note) if part) or key.meaning)
    return out


def unknown_key_message(name: str, native: Iterable[str], source: str) -> str:
    """``unknown field 'x' in FILE; did you mean 'y'?`` with the closest name among the grpo_plus / TRL fields and
    the LLaMA-Factory keys (marked as such)."""
    native = set(native)
    lf = lf_only_keys(native)
    match = closest(name, native | lf)
    if match is not None:
        mark = " (a LLaMA-Factory key)" if match in lf else ""
        hint = f"; did you mean '{match}'{mark}?"
    else:
        hint = " (see `grpo-plus train --help` for the valid ones)"
    return f"unknown field '{name}' in {source}{hint}"


def config_mapping_markdown() -> str:
    """docs/llamafactory.md's table of the LLaMA-Factory keys, generated from :data:`KEYS` and :data:`UNSUPPORTED`."""
    from trl import ModelConfig

    from grpo_plus.data import DatasetArguments
    from grpo_plus.config import GRPOPlusConfig

    owners = {}
    for cls in (DatasetArguments, ModelConfig, GRPOPlusConfig):
        for f in dataclasses.fields(cls):
            owners.setdefault(f.name, cls.__name__)
    rows = ["| LLaMA-Factory key | becomes | conversion |", "| --- | --- | --- |"]
    for key in KEYS:
        targets = ", ".join(f"`{t}` ({owners[t]})" for t in key.targets) or "—"
        rows.append(f"| `{key.name}` | {targets} | {key.meaning.replace('|', chr(92) + '|')} |")
    rows.append("")
    rows.append(
        "Not supported (an error unless set to LLaMA-Factory's default, which does nothing): "
        + ", ".join(f"`{name}`" for name in UNSUPPORTED)
        + "."
    )
    return "\n".join(rows)

