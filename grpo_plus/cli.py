"""The ``grpo-plus`` command line: ``train``, ``rewards list`` and ``plot``.

``grpo-plus train [--config FILE.yaml] [--field value ...]`` parses :class:`~grpo_plus.GRPOPlusConfig`, TRL's
``ModelConfig`` and :class:`DatasetArguments` with TRL's ``TrlParser``, exactly as ``trl grpo`` does: the YAML file sets
the values, command-line flags override them. Before anything is loaded it rejects unknown fields (with the closest
valid name) and unknown rewards; then it loads the dataset (a missing column lists the columns there are), builds the
model through TRL's ``get_quantization_config`` / ``get_peft_config`` (so ``load_in_4bit`` + ``use_peft`` is QLoRA),
trains a :class:`~grpo_plus.GRPOPlusTrainer` and saves the model and its training curves. Without a model (no argument
at all, or a config without ``model_name_or_path`` such as ``configs/demo.yaml``) it runs the embedded offline demo.

It runs unchanged under ``accelerate launch -m grpo_plus.cli train --config ...``.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trl import ScriptArguments

from grpo_plus.demo import TASKS as DEMO_TASKS

logger = logging.getLogger(__name__)

PROG = "grpo-plus"
PROMPT_FORMATS = ("auto", "chat", "text")
_FILE_BUILDERS = {".json": "json", ".jsonl": "json", ".csv": "csv", ".parquet": "parquet"}


class ConfigError(ValueError):
    """A configuration problem found before any model is loaded; the CLI prints it without a traceback."""


@dataclass
class DatasetArguments(ScriptArguments):
    """Where the prompts come from and how they become GRPO prompts. Inherits TRL's ``ScriptArguments``
    (``dataset_config``, ``dataset_train_split``, ``dataset_test_split``, ``dataset_streaming``)."""

    dataset_name: str | None = field(
        default=None,
        metadata={
            "help": "Hub dataset name (e.g. 'openai/gsm8k', with dataset_config 'main'), a local .json/.jsonl/.csv/"
            ".parquet file (its rows are the train split), a folder of such files, or a folder written by "
            "`Dataset.save_to_disk`."
        },
    )
    prompt_column: str = field(
        default="prompt",
        metadata={"help": "Column holding the prompt (a string, or a list of chat messages); renamed to 'prompt'."},
    )
    solution_column: str | None = field(
        default="solution",
        metadata={
            "help": "Column holding the reference answer, renamed to 'solution' (the column the accuracy reward "
            "reads; GSM8K's 'answer' with its '#### 72' line works as is). null when the rewards need no answer."
        },
    )
    system_prompt: str | None = field(
        default=None,
        metadata={
            "help": "System prompt: the system message of chat prompts, or a paragraph put before text prompts."
        },
    )
    prompt_format: str = field(
        default="auto",
        metadata={
            "help": "'chat': prompts become conversations ([system], user), rendered by the tokenizer's chat template "
            "(instruct models); 'text': plain strings (base models); 'auto': 'chat' when the tokenizer has a chat "
            "template. Prompts that are already lists of messages stay conversations.",
            "choices": list(PROMPT_FORMATS),
        },
    )
    max_samples: int | None = field(
        default=None, metadata={"help": "Keep only the first max_samples rows (quick runs, debugging)."}
    )
    dataset_dir: str | None = field(
        default=None,
        metadata={
            "help": "LLaMA-Factory data folder holding a dataset_info.json: dataset_name then names datasets "
            "registered there (comma-separated), loaded and converted as LLaMA-Factory defines them (file_name / "
            "hf_hub_url, formatting alpaca | sharegpt, columns, tags); 'ONLINE': dataset_name holds hub datasets in "
            "Alpaca format. The prompt becomes a conversation, the reference answer the 'solution' column."
        },
    )
    template: str | None = field(
        default=None,
        metadata={
            "help": "Chat template by LLaMA-Factory name (qwen, llama3, chatml, default, ...): prompts are rendered "
            "by the tokenizer's chat template when it has one (prompt_format 'auto'), else (or with prompt_format "
            "'text') by the built-in template of that name; templates that end turns with their own stop word "
            "(qwen, chatml, llama3, gemma, phi) make it the EOS token, so generation stops there."
        },
    )
    max_prompt_length: int | None = field(
        default=None,
        metadata={
            "help": "Leave out prompts longer than this many tokens (after the chat template), with a warning; "
            "TRL 1.16 does not truncate prompts. LLaMA-Factory's cutoff_len sets it."
        },
    )
    demo_task: str = field(
        default="arithmetic",
        metadata={
            "help": "Without model_name_or_path and dataset_name, `grpo-plus train` runs an embedded offline demo: "
            "'arithmetic' (one-step sums, configs/demo.yaml) or 'multistep' (chains of 2-4 dependent operations "
            "with a reference solution per problem and a greedy held-out evaluation, for outcome vs process "
            "rewards: configs/demo_steps_outcome.yaml, configs/demo_steps_process.yaml).",
            "choices": list(DEMO_TASKS),
        },
    )

    def __post_init__(self):
        if isinstance(self.solution_column, str) and self.solution_column.strip().lower() in ("", "none", "null"):
            self.solution_column = None
        if self.prompt_format not in PROMPT_FORMATS:
            raise ValueError(
                f"prompt_format={self.prompt_format!r} is not valid; choose one of: "
                f"{', '.join(map(repr, PROMPT_FORMATS))}"
            )
        if self.max_samples is not None and self.max_samples < 1:
            raise ValueError(f"max_samples={self.max_samples!r} is not valid; it must be a positive number of rows")
        if self.template is not None:
            from grpo_plus.dialects.chat_templates import check_template_name

            check_template_name(self.template)
        if self.max_prompt_length is not None and self.max_prompt_length < 1:
            raise ValueError(f"max_prompt_length={self.max_prompt_length!r} is not valid; it must be a positive number")
        if self.demo_task not in DEMO_TASKS:
            raise ValueError(
                f"demo_task={self.demo_task!r} is not valid; choose one of: {', '.join(map(repr, DEMO_TASKS))}"
            )


# ------------------------------------------------------------------------------------------------------------- parser
def make_parser(prog: str = f"{PROG} train"):
    """TRL's ``TrlParser`` over (GRPOPlusConfig, ModelConfig, DatasetArguments); ``parse_args_and_config`` returns
    them in that order. ``reward_kwargs`` is also accepted as a JSON string on the command line."""
    from trl import ModelConfig, TrlParser

    from grpo_plus.config import GRPOPlusConfig

    parser = TrlParser(
        (GRPOPlusConfig, ModelConfig, DatasetArguments),
        prog=prog,
        usage=f"{prog} [--config FILE.yaml] [--field value ...]   (all fields: {prog} --help)",
    )
    for action in parser._actions:
        if action.dest == "reward_kwargs":
            action.type = _json_mapping
    return parser


def _json_mapping(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON ({err}); e.g. '{{\"accuracy\": {{\"timeout\": 5}}}}'")
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _field_names(parser) -> set[str]:
    return {a.dest for a in parser._actions if a.dest != "help"}


def _option_dests(parser) -> dict[str, str]:
    """Every accepted ``--flag`` (without the dashes, aliases and ``no_`` forms included) -> its field name."""
    return {
        opt[2:]: action.dest
        for action in parser._actions
        for opt in action.option_strings
        if opt.startswith("--") and action.dest != "help"
    }


def _suggest(name: str, valid, what: str, where: str = "") -> str:
    close = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f" (see `{PROG} train --help` for the valid ones)"
    return f"unknown {what} '{name}'{where}{hint}"


def _read_config(path: str) -> dict[str, Any]:
    """The YAML mapping in ``path`` (its keys are checked, and translated from its dialect, by ``dialects``)."""
    import yaml

    try:
        with open(path) as f:
            config = yaml.safe_load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError(f"config file {path} must hold a mapping of field: value, got {type(config).__name__}")
    return config


def _normalise_argv(argv: Sequence[str], parser) -> tuple[list[str], str | None, set[str]]:
    """Check every ``--flag`` against the parser and split comma lists given to ``--reward_funcs``.

    Returns (argv, config path or None, names of the fields set on the command line).
    """
    options = _option_dests(parser)
    out: list[str] = []
    explicit: set[str] = set()
    config_path = None
    unknown = []
    i = 0
    in_reward_funcs = False
    while i < len(argv):
        token = argv[i]
        if token.startswith("--"):
            name, eq, value = token[2:].partition("=")
            in_reward_funcs = False
            if name == "config":
                if eq:
                    config_path = value
                elif i + 1 < len(argv):
                    config_path = argv[i + 1]
                    i += 1
                else:
                    raise ConfigError("--config needs a path to a YAML file")
                i += 1
                continue
            if name in ("help", "h"):
                out.append(token)
            elif name not in options:
                unknown.append(name)
            else:
                explicit.add(options[name])
                in_reward_funcs = options[name] == "reward_funcs"
                if in_reward_funcs and eq:
                    out.append(f"--{name}")
                    out.extend(v.strip() for v in value.split(",") if v.strip())
                else:
                    out.append(token)
        elif in_reward_funcs:
            out.extend(v.strip() for v in token.split(",") if v.strip())
        else:
            out.append(token)
        i += 1
    if unknown:
        raise ConfigError("\n".join(_suggest(f"--{n}", {f"--{o}" for o in options}, "option") for n in unknown))
    return out, config_path, explicit


def _has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available() or (hasattr(torch, "xpu") and torch.xpu.is_available())


def parse_train_args(argv: Sequence[str]):
    """Parse ``grpo-plus train`` arguments into (GRPOPlusConfig, ModelConfig, DatasetArguments, explicit fields).

    ``explicit`` is the set of field names the config file or the command line set. Unknown fields, flags and invalid
    values raise :class:`ConfigError` before anything is loaded. A LLaMA-Factory-style config is translated into
    these fields first, and ``bf16``/``fp16`` from a config fall back to float32 on a machine without a GPU
    (:mod:`grpo_plus.dialects`).
    """
    from grpo_plus import dialects

    parser = make_parser()
    has_accelerator = _has_accelerator()
    if not has_accelerator:
        # TrainingArguments refuses bf16 (TRL's default) on a machine without a GPU; values set in the file or on
        # the command line still win over these defaults
        parser.set_defaults(use_cpu=True, bf16=False)
    native = _field_names(parser)
    argv, dialect_flags = dialects.split_flags(argv, native)
    args, config_path, explicit = _normalise_argv(argv, parser)
    config = _read_config(config_path) if config_path is not None else {}
    try:
        translation = dialects.translate(
            config, native=native, options=_option_dests(parser), argv=args, flags=dialect_flags,
            source=config_path or "the command line", has_accelerator=has_accelerator, cli_fields=explicit,
        )
    except ValueError as err:
        raise ConfigError(str(err)) from err
    explicit |= translation.keys | set(translation.config)
    if translation.env is not None:
        if not isinstance(translation.env, dict):
            raise ConfigError(f"`env` in {config_path} must be a mapping of VARIABLE: value")
        for key, value in translation.env.items():
            os.environ[key] = str(value)
    parser.set_defaults_with_config(**translation.config)
    try:
        training_args, model_args, data_args = parser.parse_args_and_config(translation.argv)
    except ValueError as err:
        raise ConfigError(str(err)) from err
    return training_args, model_args, data_args, explicit


def check_rewards(training_args) -> list:
    """Resolve ``reward_funcs`` with ``reward_kwargs`` (nothing is loaded: reward models and PRMs load lazily);
    an unknown name raises ConfigError with the closest registered name."""
    from rewards import resolve_rewards

    if not training_args.reward_funcs:
        raise ConfigError(
            "reward_funcs is not set; name the rewards, e.g. `reward_funcs: accuracy,format` in the YAML or "
            f"`--reward_funcs accuracy format` (all names: `{PROG} rewards list`)"
        )
    try:
        return resolve_rewards(training_args.reward_funcs, training_args.reward_kwargs)
    except (ValueError, TypeError) as err:
        raise ConfigError(str(err)) from err


# ------------------------------------------------------------------------------------------------------------ dataset
def _load_raw_dataset(data_args: DatasetArguments, split: str):
    from datasets import DatasetDict, load_dataset, load_from_disk

    source = data_args.dataset_name
    path = Path(source).expanduser()
    if path.is_file():
        builder = _FILE_BUILDERS.get(path.suffix.lower())
        if builder is None:
            raise ConfigError(
                f"dataset_name={source!r}: unsupported file type {path.suffix!r}; use one of "
                f"{', '.join(sorted(_FILE_BUILDERS))} or a dataset folder"
            )
        return load_dataset(builder, data_files=str(path), split="train", streaming=data_args.dataset_streaming)
    if path.is_dir() and any((path / name).is_file() for name in ("dataset_info.json", "dataset_dict.json")):
        dataset = load_from_disk(str(path))
        if isinstance(dataset, DatasetDict):
            if split not in dataset:
                raise ConfigError(f"dataset {source} has no split {split!r}; its splits: {sorted(dataset)}")
            dataset = dataset[split]
        return dataset
    return load_dataset(
        str(path) if path.is_dir() else source,
        name=data_args.dataset_config,
        split=split,
        streaming=data_args.dataset_streaming,
    )


def _to_chat(prompt, system_prompt: str | None):
    if isinstance(prompt, list):
        if system_prompt and not any(m.get("role") == "system" for m in prompt):
            return [{"role": "system", "content": system_prompt}, *prompt]
        return prompt
    messages = [{"role": "user", "content": prompt}]
    if system_prompt:
        messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


def _to_text(prompt, system_prompt: str | None):
    if isinstance(prompt, list):
        raise ConfigError(
            "prompt_format='text' but the prompts are lists of chat messages; use prompt_format 'chat' or 'auto'"
        )
    return f"{system_prompt}\n\n{prompt}" if system_prompt else prompt


def _load_dataset_dir(data_args: DatasetArguments, split: str | None):
    """The datasets ``dataset_name`` names in ``dataset_dir``'s dataset_info.json (LLaMA-Factory's format)."""
    from grpo_plus.dialects.lf_data import load_registered

    if split not in (None, data_args.dataset_train_split):
        raise ConfigError(
            f"evaluation split {split!r}: datasets from dataset_dir are training sets (their split is set in "
            "dataset_info.json); evaluate with dataset_name and dataset_test_split, or set eval_strategy: no"
        )
    try:
        return load_registered(
            data_args.dataset_name, data_args.dataset_dir, data_args.max_samples, data_args.dataset_streaming
        )
    except ValueError as err:
        raise ConfigError(str(err)) from err


def load_dataset_columns(data_args: DatasetArguments, split: str | None = None):
    """Load ``data_args.dataset_name`` (split ``split``, default ``dataset_train_split``), keep ``max_samples`` rows,
    and rename the prompt and solution columns to ``prompt`` / ``solution``. Other columns are kept: TRL passes them
    to the rewards as keyword arguments.

    Raises:
        ConfigError: no dataset_name, an unsupported file, or a missing column (the message lists the columns).
    """
    if not data_args.dataset_name:
        raise ConfigError("dataset_name is not set; give a hub dataset name or a local .json/.jsonl/.csv/.parquet file")
    if data_args.dataset_dir is not None:
        return _load_dataset_dir(data_args, split)
    dataset = _load_raw_dataset(data_args, split or data_args.dataset_train_split)
    if data_args.max_samples is not None:
        if data_args.dataset_streaming:
            dataset = dataset.take(data_args.max_samples)
        else:
            dataset = dataset.select(range(min(data_args.max_samples, len(dataset))))
    columns = list(dataset.column_names or [])
    renames = {data_args.prompt_column: "prompt"}
    if data_args.solution_column is not None:
        renames[data_args.solution_column] = "solution"
    for (source, target), field_name in zip(renames.items(), ("prompt_column", "solution_column")):
        if source not in columns:
            hint = " (or null if your rewards need no reference answer)" if field_name == "solution_column" else ""
            raise ConfigError(
                f"dataset {data_args.dataset_name} has no column {source!r} ({field_name}); its columns are "
                f"{columns}; set {field_name} to one of them{hint}"
            )
    clashes = [target for source, target in renames.items() if source != target and target in columns]
    if clashes:
        logger.warning("dropping the dataset's own %s column(s): the configured columns replace them", clashes)
        dataset = dataset.remove_columns(clashes)
    return dataset.rename_columns({s: t for s, t in renames.items() if s != t})


def format_prompts(dataset, data_args: DatasetArguments, tokenizer=None):
    """Turn the ``prompt`` column into chat conversations or text (``prompt_format``; ``'auto'`` is chat when
    ``tokenizer`` has a chat template, text when it has none or is None), with the system prompt."""
    if data_args.template is not None or data_args.max_prompt_length is not None:
        return _format_with_template(dataset, data_args, tokenizer)
    fmt = data_args.prompt_format
    if fmt == "auto":
        fmt = "chat" if tokenizer is not None and getattr(tokenizer, "chat_template", None) else "text"
    convert = _to_chat if fmt == "chat" else _to_text
    system_prompt = data_args.system_prompt
    return dataset.map(lambda row: {"prompt": convert(row["prompt"], system_prompt)})


def _format_with_template(dataset, data_args: DatasetArguments, tokenizer):
    """``template`` (LLaMA-Factory's names) and ``max_prompt_length``: :mod:`grpo_plus.dialects.chat_templates`."""
    from grpo_plus.dialects.chat_templates import drop_long_prompts, format_with_template

    max_prompt_length = data_args.max_prompt_length
    try:
        if data_args.template is not None:
            dataset = format_with_template(
                dataset, data_args.template, data_args.prompt_format, data_args.system_prompt, tokenizer
            )
        else:
            dataset = format_prompts(dataset, dataclasses.replace(data_args, max_prompt_length=None), tokenizer)
        if max_prompt_length is not None:
            if tokenizer is None:
                raise ConfigError("max_prompt_length needs the model's tokenizer to count prompt tokens")
            dataset = drop_long_prompts(dataset, tokenizer, max_prompt_length)
    except ValueError as err:
        raise ConfigError(str(err)) from err
    return dataset


def load_prompt_dataset(data_args: DatasetArguments, tokenizer=None, split: str | None = None):
    """:func:`load_dataset_columns` then :func:`format_prompts`: a dataset ready for GRPOPlusTrainer."""
    return format_prompts(load_dataset_columns(data_args, split), data_args, tokenizer)


# -------------------------------------------------------------------------------------------------------------- train
def build_trainer(training_args, model_args, data_args, callbacks=None):
    """Rewards checked, dataset loaded and shaped, then a GRPOPlusTrainer on ``model_args.model_name_or_path`` with
    TRL's quantization and PEFT configs (the model loads here, last). Adds a :class:`PlotMetricsCallback`."""
    from transformers import AutoTokenizer
    from trl import get_peft_config, get_quantization_config

    from grpo_plus.plotting import PlotMetricsCallback
    from grpo_plus.trainer import GRPOPlusTrainer

    if not model_args.model_name_or_path:
        raise ConfigError("model_name_or_path is not set; give a hub model id or a local model folder")
    check_rewards(training_args)
    train_dataset = load_dataset_columns(data_args)
    eval_dataset = None
    if training_args.eval_strategy != "no":
        eval_dataset = load_dataset_columns(data_args, split=data_args.dataset_test_split)
    tokenizer = processing_class = None
    if data_args.prompt_format == "auto" or data_args.template is not None or data_args.max_prompt_length is not None:
        tokenizer = AutoTokenizer.from_pretrained(
            model_args.model_name_or_path,
            revision=model_args.model_revision,
            trust_remote_code=training_args.trust_remote_code,
            padding_side="left",
            truncation_side="left",
        )
    if data_args.template is not None:
        from grpo_plus.dialects.chat_templates import stop_token_fix

        change = stop_token_fix(data_args.template, tokenizer)
        if change is not None:
            logger.info(change)
            processing_class = tokenizer  # the trainer generates until the template's stop word
    train_dataset = format_prompts(train_dataset, data_args, tokenizer)
    if eval_dataset is not None:
        eval_dataset = format_prompts(eval_dataset, data_args, tokenizer)

    model_init_kwargs = dict(
        revision=model_args.model_revision,
        attn_implementation=model_args.attn_implementation,
        dtype=model_args.dtype,
    )
    model_init_kwargs.update(training_args.model_init_kwargs or {})
    training_args.model_init_kwargs = model_init_kwargs
    callbacks = list(callbacks or [])
    if not any(isinstance(c, PlotMetricsCallback) for c in callbacks):
        callbacks.append(PlotMetricsCallback())
    return GRPOPlusTrainer(
        model=model_args.model_name_or_path,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        callbacks=callbacks,
        quantization_config=get_quantization_config(model_args),
        peft_config=get_peft_config(model_args),
        processing_class=processing_class,
    )


def _reward_span(log_history: list[dict]) -> tuple[float, float] | None:
    rewards = [e["reward"] for e in log_history if isinstance(e.get("reward"), (int, float))]
    return (rewards[0], rewards[-1]) if rewards else None


def run_training(training_args, model_args, data_args) -> dict:
    """Train, save the model, and return a short summary (also printed by the CLI on the main process)."""
    trainer = build_trainer(training_args, model_args, data_args)
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model(training_args.output_dir)
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=data_args.dataset_name)
    summary = {
        "model": model_args.model_name_or_path,
        "steps": trainer.state.global_step,
        "output_dir": training_args.output_dir,
        "curves": str(Path(training_args.output_dir) / "grpo_metrics"),
    }
    span = _reward_span(trainer.state.log_history)
    if span is not None:
        summary["reward_first"], summary["reward_last"] = span
    summary["main_process"] = trainer.accelerator.is_main_process
    if hasattr(trainer, "end"):
        trainer.end()
    return summary


def _demo_overrides(training_args, model_args, data_args, explicit: set[str]) -> dict[str, Any]:
    config_fields = {f.name for f in dataclasses.fields(type(training_args))}
    others = sorted(explicit - config_fields - {"demo_task"})
    if others:
        raise ConfigError(
            f"model_name_or_path is not set, so `{PROG} train` runs the embedded offline demo, which takes only "
            f"GRPOPlusConfig fields and demo_task; these are model/dataset fields: {others}. Set model_name_or_path "
            "to train a model"
        )
    overrides = {name: getattr(training_args, name) for name in sorted(explicit & config_fields)}
    if "demo_task" in explicit:
        overrides["task"] = data_args.demo_task
    return overrides


def run_demo(**overrides) -> dict:
    """The embedded offline demo (:func:`grpo_plus.demo.run.run_demo`)."""
    from grpo_plus.demo.run import run_demo as demo

    return demo(**overrides)


_SUMMARY_LABELS = {
    "model": "model",
    "steps": "steps",
    "wall_time_s": "wall time (s)",
    "output_dir": "model saved to",
    "curves": "curves",
    "warm_start": "warm start",
    "warm_start_s": "warm start (s)",
    "grpo_s": "GRPO training (s)",
}
_SUMMARY_SKIP = ("main_process", "reward_first", "reward_last", "accuracy_gain", "eval_curve")


def _format_summary(summary: dict) -> str:
    """The short, human summary of a run: rewards before -> after, then where the model and the curves are."""
    lines = []
    skip = set(_SUMMARY_SKIP)
    if "reward_first" in summary and "reward_last" in summary:
        first, last = summary["reward_first"], summary["reward_last"]
        lines.append(f"reward: {first:.3f} (first logged step) -> {last:.3f} (last)")
    for name in ("accuracy", "format"):
        before, after = summary.get(f"{name}_before"), summary.get(f"{name}_after")
        if before is not None and after is not None:
            lines.append(f"{name} reward: {before:.3f} (first 10% of steps) -> {after:.3f} (last 10%)")
            skip.update({f"{name}_before", f"{name}_after"})
    for key, label in _SUMMARY_LABELS.items():
        if key in summary:
            lines.append(f"{label}: {summary[key]}")
    for key, value in summary.items():
        if key not in _SUMMARY_LABELS and key not in skip:
            lines.append(f"{key.replace('_', ' ')}: {value}")
    return "\n".join(lines)


def train_command(argv: Sequence[str]) -> int:
    if not argv:
        print(_format_summary(run_demo()))
        return 0
    training_args, model_args, data_args, explicit = parse_train_args(argv)
    if model_args.model_name_or_path is None and data_args.dataset_name is None:
        print(_format_summary(run_demo(**_demo_overrides(training_args, model_args, data_args, explicit))))
        return 0
    summary = run_training(training_args, model_args, data_args)
    if summary.pop("main_process", True):
        print(_format_summary(summary))
    return 0


# ------------------------------------------------------------------------------------------------ rewards and plot
def rewards_table() -> str:
    """The reward registry as a text table: name, level, one-line description."""
    from rewards import list_rewards

    rows = [("NAME", "LEVEL", "DESCRIPTION")] + [(r.name, r.level, r.description) for r in list_rewards()]
    width_name = max(len(r[0]) for r in rows)
    width_level = max(len(r[1]) for r in rows)
    return "\n".join(f"{n:<{width_name}}  {lvl:<{width_level}}  {d}".rstrip() for n, lvl, d in rows)


def plot_command(output_dir: str, out_dir: str | None) -> int:
    from grpo_plus.plotting import plot_run

    try:
        written = plot_run(output_dir, out_dir)
    except (FileNotFoundError, ValueError) as err:
        raise ConfigError(str(err)) from err
    for path in written:
        print(path)
    return 0


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="GRPO with selectable KL estimators, process rewards and a reward registry, on top of TRL.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{train,rewards,plot}")
    sub.add_parser(
        "train",
        help="train: `grpo-plus train [--config FILE.yaml] [--field value ...]`; no arguments: the offline demo",
        add_help=False,
    )
    rewards = sub.add_parser("rewards", help="the reward registry")
    rewards.add_argument("action", choices=["list"], help="list: registered rewards with level and description")
    plot = sub.add_parser("plot", help="draw a run's training curves as PNG files")
    plot.add_argument("output_dir", help="the run's output_dir (trainer_state.json there or in its latest checkpoint)")
    plot.add_argument("--out", default=None, help="folder for the PNG files (default OUTPUT_DIR/grpo_metrics)")
    return parser


def _setup_logging() -> None:
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    for name in ("grpo_plus", "rewards"):
        logging.getLogger(name).setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grpo-plus`` console script; returns the exit status (2 for a configuration error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # the reward workers fork after tokenizing
    _setup_logging()
    try:
        if argv and argv[0] == "train":
            return train_command(argv[1:])
        args = _top_parser().parse_args(argv)
        if args.command is None:
            _top_parser().print_help()
            return 0
        if args.command == "rewards":
            print(rewards_table())
            return 0
        return plot_command(args.output_dir, args.out)
    except ConfigError as err:
        command = f"{PROG} {argv[0]}" if argv else PROG
        print(f"{command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
