"""The ``grpo-plus`` command line: ``train``, ``rewards list`` and ``plot``.

``grpo-plus train [--config FILE.yaml] [--field value ...]`` reads its arguments once
(:class:`~grpo_plus.dialects.CommandLine`), translates the config file from its dialect (:mod:`grpo_plus.dialects`) and
parses :class:`~grpo_plus.GRPOPlusConfig`, TRL's ``ModelConfig`` and :class:`~grpo_plus.data.DatasetArguments` with
TRL's ``TrlParser``, as ``trl grpo`` does: the YAML file sets the values, command-line flags override them. Before
anything is loaded it rejects unknown fields (with the closest valid name), invalid values and unknown rewards; then
it loads the dataset (:mod:`grpo_plus.data`), builds the model through TRL's ``get_quantization_config`` /
``get_peft_config`` (so ``load_in_4bit`` + ``use_peft`` is QLoRA), trains a :class:`~grpo_plus.GRPOPlusTrainer` and
saves the model and its training curves. Without a model (no argument at all, or a config without
``model_name_or_path`` such as ``configs/demo.yaml``) it runs the embedded offline demo (``demo_task``), after checking
that every field given is one the task uses.

Every configuration error is one ``grpo-plus train: error: ...`` line on stderr per problem, exit status 2, no
traceback. It runs unchanged under ``accelerate launch -m grpo_plus.cli train --config ...``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grpo_plus import dialects
from grpo_plus.data import ConfigError, DatasetArguments, format_prompts, load_dataset_columns, prompt_tokenizer
from grpo_plus.demo import TASKS as DEMO_TASKS

logger = logging.getLogger(__name__)

PROG = "grpo-plus"


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
    parser.error = _raise_config_error  # argparse's usage + message would make it two lines and a SystemExit
    return parser


def _raise_config_error(message: str):
    raise ConfigError(message)


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


def _has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available() or (hasattr(torch, "xpu") and torch.xpu.is_available())


def parse_train_args(argv: Sequence[str]):
    """Parse ``grpo-plus train`` arguments into (GRPOPlusConfig, ModelConfig, DatasetArguments, explicit fields).

    ``argv`` is read once (:class:`~grpo_plus.dialects.CommandLine`); ``explicit`` is the set of field names the
    config file or the command line set. Unknown fields, flags and invalid values raise :class:`ConfigError` before
    anything is loaded. A LLaMA-Factory-style config is translated into these fields first, and ``bf16``/``fp16``
    from a config fall back to float32 on a machine without a GPU (:mod:`grpo_plus.dialects`).
    """
    parser = make_parser()
    has_accelerator = _has_accelerator()
    if not has_accelerator:
        # TrainingArguments refuses bf16 (TRL's default) on a machine without a GPU; values set in the file or on
        # the command line still win over these defaults
        parser.set_defaults(use_cpu=True, bf16=False)
    native = _field_names(parser)
    try:
        command_line = dialects.CommandLine.read(argv, _option_dests(parser), dialects.lf_only_keys(native))
        if command_line.help:
            parser.print_help()
            raise SystemExit(0)
        source = command_line.config or "the command line"
        config = _read_config(command_line.config) if command_line.config is not None else {}
        translation = dialects.translate(
            config, native=native, command_line=command_line, source=source, has_accelerator=has_accelerator
        )
    except dialects.DialectError as err:
        raise ConfigError(str(err)) from err
    explicit = command_line.fields | translation.keys | set(translation.config)
    if translation.env is not None:
        if not isinstance(translation.env, dict):
            raise ConfigError(f"`env` in {source} must be a mapping of VARIABLE: value")
        for key, value in translation.env.items():
            os.environ[key] = str(value)
    if not explicit & {"gradient_checkpointing", "activation_checkpointing"}:
        # TRL's GRPOConfig defaults the deprecated gradient_checkpointing to True, for which transformers 5 warns on
        # every run; the same default under its new name, unless the user wrote either name
        trl_default = _default(parser, "gradient_checkpointing")
        parser.set_defaults(gradient_checkpointing=None, activation_checkpointing=trl_default)
    parser.set_defaults_with_config(**translation.config)
    try:
        training_args, model_args, data_args = parser.parse_args_and_config(translation.argv)
    except ValueError as err:
        raise ConfigError(str(err)) from err
    return training_args, model_args, data_args, explicit


def _default(parser, dest: str) -> Any:
    return next(action.default for action in parser._actions if action.dest == dest)


def check_rewards(training_args, specs: Sequence[str] | None = None) -> list:
    """Resolve ``specs`` (default ``reward_funcs``) with ``reward_kwargs`` and check them against ``reward_mode``, as
    the trainer will (nothing is loaded: reward models and PRMs load lazily). Raises ConfigError naming the field: an
    unknown name (with the closest registered name), step rewards in outcome mode, process mode without one."""
    from grpo_plus.reward_setup import resolve_trainer_rewards

    specs = training_args.reward_funcs if specs is None else list(specs)
    if not specs:
        raise ConfigError(
            "reward_funcs is not set; name the rewards, e.g. `reward_funcs: accuracy,format` in the YAML or "
            f"`--reward_funcs accuracy format` (all names: `{PROG} rewards list`)"
        )
    try:
        return resolve_trainer_rewards(specs, training_args, training_args.reward_mode, False, lambda f, name: f)
    except (ValueError, TypeError) as err:
        raise ConfigError(str(err)) from err


# -------------------------------------------------------------------------------------------------------------- train
def build_trainer(training_args, model_args, data_args, callbacks=None):
    """Rewards checked, dataset loaded and shaped, then a GRPOPlusTrainer on ``model_args.model_name_or_path`` with
    TRL's quantization and PEFT configs (the model loads here, last). Adds a :class:`PlotMetricsCallback`."""
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
    tokenizer, processing_class = prompt_tokenizer(
        data_args, model_args.model_name_or_path, model_args.model_revision, training_args.trust_remote_code
    )
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
    """The keyword arguments of :func:`run_demo` for a run without a model: the GRPOPlusConfig fields set in the
    config or on the command line, and ``task`` (``demo_task``), checked before anything is loaded (``model_args``
    holds no model here; any of its fields set is an error).

    Raises:
        ConfigError: a model or dataset field (the demo has its own), ``reward_funcs`` / ``reward_kwargs`` for a
            task that trains with fixed rewards, or a value the task's trainer config or rewards refuse.
    """
    from grpo_plus.config import GRPOPlusConfig
    from grpo_plus.demo.run import demo_task

    task = demo_task(data_args.demo_task)
    config_fields = {f.name for f in dataclasses.fields(type(training_args))}
    others = sorted(explicit - config_fields - {"demo_task"})
    if others:
        raise ConfigError(
            f"model_name_or_path is not set, so `{PROG} train` runs the embedded offline demo (demo_task "
            f"{task.name!r}), which takes only GRPOPlusConfig fields and demo_task; these are model/dataset fields: "
            f"{others}. Set model_name_or_path to train a model"
        )
    overrides = {name: getattr(training_args, name) for name in sorted(explicit & config_fields)}
    reward_fields = sorted({"reward_funcs", "reward_kwargs"} & set(overrides))
    if task.rewards is not None and reward_fields:
        takers = [name for name in DEMO_TASKS if demo_task(name).rewards is None]
        raise ConfigError(
            f"{', '.join(reward_fields)}: demo_task {task.name!r} trains with its own rewards "
            f"({', '.join(task.rewards)}) and takes no {' or '.join(reward_fields)}; remove it, or choose a "
            f"demo_task that does: {', '.join(map(repr, takers))}"
        )
    output_dir = overrides.get("output_dir", task.output_dir)
    try:
        args = GRPOPlusConfig(**{**task.default_args, "output_dir": output_dir, **overrides})
    except ValueError as err:
        raise ConfigError(str(err)) from err
    check_rewards(args, task.rewards)
    if "demo_task" in explicit:
        overrides["task"] = task.name
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
    with _logs_held_until_valid():
        training_args, model_args, data_args, explicit = parse_train_args(argv)
        demo = model_args.model_name_or_path is None and data_args.dataset_name is None
        overrides = _demo_overrides(training_args, model_args, data_args, explicit) if demo else None
    if demo:
        with _quiet_demo():
            summary = run_demo(**overrides)
        print(_format_summary(summary))
        return 0
    summary = run_training(training_args, model_args, data_args)
    if summary.pop("main_process", True):
        print(_format_summary(summary))
    return 0


@contextlib.contextmanager
def _logs_held_until_valid(names: Sequence[str] = ("grpo_plus", "rewards")):
    """grpo_plus's and rewards' log lines (a config's translation, the float32 fallback) are held while the
    configuration is read, and shown only if it is valid: a configuration error is then the only line."""
    held: list[logging.LogRecord] = []
    hold = _Hold(held)
    loggers = [logging.getLogger(name) for name in names]
    saved = [(named.handlers, named.propagate) for named in loggers]
    for named in loggers:
        named.handlers, named.propagate = [hold], False  # their own handlers, too, see each record once: at replay
    try:
        yield
    finally:
        for named, (handlers, propagate) in zip(loggers, saved):
            named.handlers, named.propagate = handlers, propagate
    for record in held:
        logging.getLogger(record.name).handle(record)


class _Hold(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]):
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _quiet_demo():
    """The demo's output is its progress bars and the summary: no bars for loading and saving its tiny model, no log
    line repeating the summary (both restored afterwards)."""
    from transformers.utils import logging as transformers_logging

    bars = transformers_logging.is_progress_bar_enabled()
    summary_log = logging.getLogger("grpo_plus.demo.run")
    level = summary_log.level
    transformers_logging.disable_progress_bar()
    summary_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        summary_log.setLevel(level)
        if bars:
            transformers_logging.enable_progress_bar()


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
    logging.getLogger("grpo_plus.plotting").setLevel(logging.WARNING)  # the summary names the curves' folder


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
        for line in str(err).splitlines():  # one line per problem, each naming its field
            print(f"{command}: error: {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
