"""Where the prompts come from and how they become GRPO prompts: :class:`DatasetArguments` and the one data path.

:func:`load_prompt_dataset` (what ``grpo-plus train`` and ``examples/train_grpo.py`` call) loads ``dataset_name``: a
hub dataset, a local .json/.jsonl/.csv/.parquet file, a folder of such files, a folder written by
``Dataset.save_to_disk``, or (with ``dataset_dir``) datasets registered in a LLaMA-Factory ``dataset_info.json``
(:mod:`grpo_plus.dialects.lf_data`); keeps ``max_samples`` rows; renames the prompt and solution columns to ``prompt``
/ ``solution`` (a missing column lists the columns there are); then makes the prompts chat conversations or text,
rendered by a LLaMA-Factory ``template`` if one is named (:mod:`grpo_plus.dialects.chat_templates`), and leaves out
prompts longer than ``max_prompt_length`` tokens. :func:`prompt_tokenizer` loads the tokenizer these steps need.

Every problem with the arguments or the data raises :class:`ConfigError` (a ``ValueError``) naming the field.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

from trl import ScriptArguments

from grpo_plus.demo import TASKS as DEMO_TASKS
from rewards._names import choice_error

logger = logging.getLogger(__name__)

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
            "rewards: configs/demo_steps_outcome.yaml, configs/demo_steps_process.yaml) or the 6-step chains of "
            "configs/demo_chains_outcome.yaml / demo_chains_process.yaml: 'chains' (sparse: about 6 % of sampled "
            "chains right at the start), 'chains_moderate' (about 21 %), 'chains_middle' (about 15 %).",
            "choices": list(DEMO_TASKS),
        },
    )

    def __post_init__(self):
        if isinstance(self.solution_column, str) and self.solution_column.strip().lower() in ("", "none", "null"):
            self.solution_column = None
        if self.prompt_format not in PROMPT_FORMATS:
            raise ValueError(choice_error("prompt_format", self.prompt_format, PROMPT_FORMATS))
        if self.max_samples is not None and self.max_samples < 1:
            raise ValueError(f"max_samples={self.max_samples!r} is not valid; it must be a positive number of rows")
        if self.template is not None:
            from grpo_plus.dialects.chat_templates import check_template_name

            check_template_name(self.template)
        if self.max_prompt_length is not None and self.max_prompt_length < 1:
            raise ValueError(f"max_prompt_length={self.max_prompt_length!r} is not valid; it must be a positive number")
        if self.demo_task not in DEMO_TASKS:
            raise ValueError(choice_error("demo_task", self.demo_task, DEMO_TASKS))


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


def needs_tokenizer(data_args: DatasetArguments) -> bool:
    """Whether shaping the prompts needs the model's tokenizer (its chat template, or counting prompt tokens)."""
    return (
        data_args.prompt_format == "auto" or data_args.template is not None or data_args.max_prompt_length is not None
    )


def prompt_tokenizer(data_args: DatasetArguments, model_name_or_path: str, revision: str | None = None,
                     trust_remote_code: bool = False):
    """(tokenizer, processing_class): the model's tokenizer when :func:`needs_tokenizer`, else None; the
    processing class is that tokenizer when the ``template`` changed its EOS token to the template's stop word (the
    trainer must then generate with it), else None (the trainer loads its own)."""
    if not needs_tokenizer(data_args):
        return None, None
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(
        model_name_or_path, revision=revision, trust_remote_code=trust_remote_code, padding_side="left",
        truncation_side="left",
    )
    if data_args.template is None:
        return tokenizer, None
    from grpo_plus.dialects.chat_templates import stop_token_fix

    change = stop_token_fix(data_args.template, tokenizer)
    if change is None:
        return tokenizer, None
    logger.info(change)
    return tokenizer, tokenizer
