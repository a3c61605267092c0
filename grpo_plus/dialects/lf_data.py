"""LLaMA-Factory datasets for GRPO: ``dataset`` names registered in ``<dataset_dir>/dataset_info.json``.

Semantics follow LLaMA-Factory's ``data/README.md`` and ``src/llamafactory/data/{parser,loader,converter}.py``:

- an entry loads from ``hf_hub_url`` (with ``subset``, ``folder``, ``split``), ``script_url`` (a folder under
  ``dataset_dir``) or ``file_name`` (a file or a folder of files under ``dataset_dir``; json, jsonl, csv, parquet,
  arrow, txt); ``num_samples`` samples that many rows (without replacement, then with replacement beyond the size);
  ``max_samples`` keeps the first rows of each dataset; several datasets are concatenated (``mix_strategy: concat``);
- ``dataset_dir: ONLINE`` makes every name a hub dataset in Alpaca format (no dataset_info.json);
- **Alpaca** rows: the user message is ``instruction`` and ``input`` joined by a newline (an empty one left out), after
  the ``history`` pairs as earlier turns; ``output`` is the reference answer, which becomes the ``solution`` column the
  ``accuracy`` reward grades against; a ``system`` column gives the system message;
- **ShareGPT** rows: a list of turns (``conversations`` by default) with ``from``/``value`` and the tags
  ``human``/``gpt``/``system``, or any tags named in ``tags``; a first system turn is the system message; the last
  assistant turn is the ``solution`` and the turns before it are the prompt (a conversation that ends with a user turn
  is all prompt, with no solution). When ``columns``/``tags`` are not given and the rows use ``messages`` and
  ``role``/``content`` (OpenAI style, also ``formatting: openai``), those are used.

The result has a ``prompt`` column of conversations and a ``solution`` column; the columns the conversion did not use
are kept (TRL passes them to the rewards) when a single dataset is loaded.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewards._names import choice_error, did_you_mean, split_names

logger = logging.getLogger(__name__)

DATASET_INFO = "dataset_info.json"
ONLINE = "ONLINE"
FORMATTINGS = ("alpaca", "sharegpt", "openai")
FILE_TYPES = {
    ".arrow": "arrow", ".csv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet", ".txt": "text",
}
ENTRY_KEYS = (
    "hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name", "file_name", "formatting", "ranking",
    "subset", "split", "folder", "num_samples", "columns", "tags",
)
SUPPORTED_COLUMNS = ("prompt", "query", "response", "history", "messages", "system")
UNSUPPORTED_COLUMNS = {
    "tools": "tool descriptions (function calling) are not rendered into GRPO prompts",
    "images": "multimodal inputs are not supported",
    "videos": "multimodal inputs are not supported",
    "audios": "multimodal inputs are not supported",
    "chosen": "preference pairs are DPO/RM data; GRPO needs prompts and reference answers",
    "rejected": "preference pairs are DPO/RM data; GRPO needs prompts and reference answers",
    "kto_tag": "KTO labels are not GRPO data",
}
TAG_KEYS = ("role_tag", "content_tag", "user_tag", "assistant_tag", "observation_tag", "function_tag", "system_tag")
SHAREGPT_TAGS = {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                 "observation_tag": "observation", "function_tag": "function_call", "system_tag": "system"}
OPENAI_TAGS = {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant",
               "observation_tag": "tool", "function_tag": "function_call", "system_tag": "system"}
DEFAULT_SEED = 42  # transformers' default seed, which LLaMA-Factory's num_samples draw uses unless seed is changed


class DatasetInfoError(ValueError):
    """A dataset_info.json entry or a dataset row that cannot be used, named in the message."""


def _close(name: str, choices) -> str:
    hint = did_you_mean(name, choices)
    return f"; {hint}" if hint else ""


@dataclass
class DatasetAttr:
    """One registered dataset, as LLaMA-Factory's ``DatasetAttr`` reads it (the fields GRPO uses)."""

    name: str
    load_from: str  # "hf_hub" | "script" | "file"
    path: str
    formatting: str = "alpaca"
    subset: str | None = None
    split: str = "train"
    folder: str | None = None
    num_samples: int | None = None
    columns: dict[str, str | None] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    tags_given: bool = False
    messages_given: bool = False


def read_dataset_info(dataset_dir: str) -> dict[str, Any]:
    """The mapping in ``<dataset_dir>/dataset_info.json``; a clear error when it is missing or not a JSON object."""
    path = Path(dataset_dir).expanduser() / DATASET_INFO
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetInfoError(
            f"dataset_dir={dataset_dir!r} has no {DATASET_INFO} (looked for {path.resolve()}); LLaMA-Factory datasets "
            "are registered there (or use dataset_dir: ONLINE for hub names in Alpaca format)"
        ) from None
    except json.JSONDecodeError as err:
        raise DatasetInfoError(f"{path} is not valid JSON: {err}") from None
    if not isinstance(info, dict):
        raise DatasetInfoError(f"{path} must hold a JSON object of dataset name -> description")
    return info


def parse_entry(name: str, entry: Mapping[str, Any], where: str) -> DatasetAttr:
    """A :class:`DatasetAttr` from one dataset_info.json entry, every key and value checked."""
    if not isinstance(entry, Mapping):
        raise DatasetInfoError(f"dataset {name!r} in {where} must be a JSON object, got {type(entry).__name__}")
    for key in entry:
        if key not in ENTRY_KEYS:
            raise DatasetInfoError(f"dataset {name!r} in {where}: unknown key {key!r}{_close(key, ENTRY_KEYS)}")
    if entry.get("ranking"):
        raise DatasetInfoError(
            f"dataset {name!r} in {where} has ranking: true (a preference dataset for DPO/reward modelling); GRPO "
            "needs prompts with reference answers"
        )
    if "hf_hub_url" in entry:
        load_from, path = "hf_hub", entry["hf_hub_url"]
    elif "ms_hub_url" in entry or "om_hub_url" in entry or "cloud_file_name" in entry:
        key = next(k for k in ("ms_hub_url", "om_hub_url", "cloud_file_name") if k in entry)
        raise DatasetInfoError(
            f"dataset {name!r} in {where}: {key} is not supported (ModelScope, Modelers and cloud files are not "
            "loaded by grpo-plus); give hf_hub_url or file_name"
        )
    elif "script_url" in entry:
        load_from, path = "script", entry["script_url"]
    elif "file_name" in entry:
        load_from, path = "file", entry["file_name"]
    else:
        raise DatasetInfoError(f"dataset {name!r} in {where} needs one of file_name, hf_hub_url or script_url")
    formatting = entry.get("formatting", "alpaca")
    if formatting not in FORMATTINGS:
        raise DatasetInfoError(f"dataset {name!r} in {where}: {choice_error('formatting', formatting, FORMATTINGS)}")
    columns = dict(entry.get("columns") or {})
    for key in columns:
        if key in UNSUPPORTED_COLUMNS:
            raise DatasetInfoError(
                f"dataset {name!r} in {where}: column {key!r} is not supported ({UNSUPPORTED_COLUMNS[key]})"
            )
        if key not in SUPPORTED_COLUMNS:
            valid = (*SUPPORTED_COLUMNS, *UNSUPPORTED_COLUMNS)
            raise DatasetInfoError(f"dataset {name!r} in {where}: unknown column key {key!r}{_close(key, valid)}")
    tags = dict(entry.get("tags") or {})
    for key in tags:
        if key not in TAG_KEYS:
            raise DatasetInfoError(f"dataset {name!r} in {where}: unknown tag key {key!r}{_close(key, TAG_KEYS)}")
    num_samples = entry.get("num_samples")
    if num_samples is not None and (
        isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1
    ):
        raise DatasetInfoError(f"dataset {name!r} in {where}: num_samples={num_samples!r} must be a positive integer")
    defaults = OPENAI_TAGS if formatting == "openai" else SHAREGPT_TAGS
    return DatasetAttr(
        name=name,
        load_from=load_from,
        path=str(path),
        formatting="sharegpt" if formatting == "openai" else formatting,
        subset=entry.get("subset"),
        split=entry.get("split", "train"),
        folder=entry.get("folder"),
        num_samples=num_samples,
        columns=columns,
        tags={**defaults, **tags},
        tags_given=bool(tags) or formatting == "openai",
        messages_given="messages" in columns or formatting == "openai",
    )


def dataset_list(names: str, dataset_dir: str) -> list[DatasetAttr]:
    """The :class:`DatasetAttr` of every comma-separated name in ``names`` (``dataset_dir: ONLINE``: hub names in
    Alpaca format, as in LLaMA-Factory)."""
    wanted = split_names(names)
    if not wanted:
        raise DatasetInfoError("dataset is empty; name at least one dataset registered in dataset_info.json")
    if dataset_dir == ONLINE:
        return [DatasetAttr(name=n, load_from="hf_hub", path=n) for n in wanted]
    info = read_dataset_info(dataset_dir)
    where = str(Path(dataset_dir) / DATASET_INFO)
    attrs = []
    for name in wanted:
        if name not in info:
            raise DatasetInfoError(
                f"dataset {name!r} is not defined in {where}{_close(name, info)} (defined there: {sorted(info)})"
            )
        attrs.append(parse_entry(name, info[name], where))
    return attrs


def _local_files(attr: DatasetAttr, dataset_dir: str) -> tuple[str, list[str]]:
    local = Path(dataset_dir).expanduser() / attr.path
    if local.is_dir():
        files = sorted(str(p) for p in local.iterdir() if p.is_file())
    elif local.is_file():
        files = [str(local)]
    else:
        raise DatasetInfoError(f"dataset {attr.name!r}: file_name {attr.path!r} not found (looked for {local})")
    if not files:
        raise DatasetInfoError(f"dataset {attr.name!r}: folder {local} is empty")
    types = {FILE_TYPES.get(Path(f).suffix.lower()) for f in files}
    if None in types:
        raise DatasetInfoError(
            f"dataset {attr.name!r}: unsupported file type in {local}; allowed: {', '.join(sorted(FILE_TYPES))}"
        )
    if len(types) > 1:
        raise DatasetInfoError(f"dataset {attr.name!r}: the files in {local} must all have the same type")
    return types.pop(), files


def load_raw(attr: DatasetAttr, dataset_dir: str, streaming: bool = False):
    """Load one registered dataset as LLaMA-Factory's ``_load_single_dataset`` does (``datasets.load_dataset``)."""
    import datasets

    if attr.load_from == "file":
        builder, files = _local_files(attr, dataset_dir)
        return datasets.load_dataset(builder, data_files=files, split=attr.split)
    path = os.path.join(dataset_dir, attr.path) if attr.load_from == "script" else attr.path
    return datasets.load_dataset(
        path=path, name=attr.subset, data_dir=attr.folder, split=attr.split, streaming=streaming
    )


def sample_rows(dataset, num_samples: int, seed: int = DEFAULT_SEED):
    """``num_samples`` rows: a random permutation of all rows first (each row once), then rows drawn with
    replacement for the rest, as LLaMA-Factory's ``num_samples`` does."""
    import numpy as np

    rng = np.random.default_rng(seed)
    size = len(dataset)
    indexes = rng.permutation(size)[:num_samples]
    if num_samples > size:
        indexes = np.concatenate([indexes, rng.integers(0, size, num_samples - size)])
    return dataset.select(indexes.tolist())


# ----------------------------------------------------------------------------------------------- row conversion
def alpaca_row(row: Mapping[str, Any], columns: Mapping[str, str | None]) -> tuple[list[dict], str | None]:
    """(prompt messages, solution) of an Alpaca row: [system], history turns, then the user message
    ``instruction + "\\n" + input`` (empty parts left out, LLaMA-Factory's ``"\\n".join``); solution = ``output``."""
    prompt_col = columns.get("prompt", "instruction")
    query_col = columns.get("query", "input")
    response_col = columns.get("response", "output")
    history_col = columns.get("history")
    system_col = columns.get("system")
    messages: list[dict] = []
    system = row.get(system_col) if system_col else None
    if system:
        messages.append({"role": "system", "content": system})
    history = row.get(history_col) if history_col else None
    if isinstance(history, list):
        for turn in history:
            old_prompt, old_response = turn
            messages.append({"role": "user", "content": old_prompt})
            messages.append({"role": "assistant", "content": old_response})
    query = [row[c] for c in (prompt_col, query_col) if c and row.get(c)]
    messages.append({"role": "user", "content": "\n".join(query)})
    solution = row.get(response_col) if response_col else None
    return messages, solution if isinstance(solution, str) else None


def sharegpt_row(
    turns: list[Mapping[str, Any]], tags: Mapping[str, str], system: str | None = None
) -> tuple[list[dict], str | None]:
    """(prompt messages, solution) of a ShareGPT conversation: a first system turn (or ``system``) becomes the system
    message; the turns must alternate user, assistant, ...; the last assistant turn is the solution.

    Raises:
        DatasetInfoError: a turn with an unknown tag, tool turns, or turns out of order (the message names them).
    """
    role_tag, content_tag = tags["role_tag"], tags["content_tag"]
    roles = {tags["user_tag"]: "user", tags["assistant_tag"]: "assistant"}
    turns = list(turns)
    if turns and turns[0].get(role_tag) == tags["system_tag"]:
        system = turns[0].get(content_tag)
        turns = turns[1:]
    if not turns:
        raise DatasetInfoError("the conversation has no user turn")
    messages = [{"role": "system", "content": system}] if system else []
    for index, turn in enumerate(turns):
        tag = turn.get(role_tag)
        expected = "user" if index % 2 == 0 else "assistant"
        if tag in (tags["observation_tag"], tags["function_tag"]):
            raise DatasetInfoError(f"turn {index} is a tool turn ({role_tag}={tag!r}); tool use is not supported")
        if roles.get(tag) != expected:
            valid = [t for t, r in roles.items() if r == expected]
            raise DatasetInfoError(f"turn {index} has {role_tag}={tag!r}, expected {valid[0]!r} ({expected})")
        messages.append({"role": expected, "content": turn.get(content_tag)})
    if len(turns) % 2 == 0:
        return messages[:-1], messages[-1]["content"]
    return messages, None


def _sharegpt_layout(attr: DatasetAttr, dataset) -> tuple[str, dict[str, str]]:
    """The messages column and the tags for ``dataset``; the OpenAI layout (``messages``, role/content) is taken
    when the entry names neither and the rows use it."""
    columns = list(dataset.column_names or [])
    messages_col = attr.columns.get("messages", "messages" if attr.messages_given else "conversations")
    if not attr.messages_given and messages_col not in columns and "messages" in columns:
        logger.info("dataset %r: no 'conversations' column, using 'messages'", attr.name)
        messages_col = "messages"
    if messages_col not in columns:
        raise DatasetInfoError(
            f"dataset {attr.name!r} (sharegpt) has no column {messages_col!r}; its columns are {columns}; set "
            "columns.messages in dataset_info.json"
        )
    tags = dict(attr.tags)
    if not attr.tags_given:
        first = next((t for row in dataset.select(range(min(len(dataset), 1))) for t in row[messages_col]), None)
        if first is not None and "role" in first and "from" not in first:
            logger.info("dataset %r: turns use role/content, reading them with OpenAI tags", attr.name)
            tags = dict(OPENAI_TAGS)
    return messages_col, tags


def convert(dataset, attr: DatasetAttr):
    """Rows of ``attr.formatting`` -> ``prompt`` (conversation) and ``solution`` columns, other columns kept.

    ShareGPT rows whose turns are out of order are left out with one warning (LLaMA-Factory skips them too); an
    error is raised when no row is left or on tool turns.
    """
    if attr.formatting == "alpaca":
        defaults = (("prompt", "instruction"), ("query", "input"), ("response", "output"))
        used = {attr.columns.get(k, d) for k, d in defaults}
        used |= {attr.columns.get("history"), attr.columns.get("system")}
        columns = list(dataset.column_names)
        prompt_col = attr.columns.get("prompt", "instruction")
        if prompt_col not in columns:
            raise DatasetInfoError(
                f"dataset {attr.name!r} (alpaca) has no column {prompt_col!r}; its columns are {columns}; set "
                "columns.prompt in dataset_info.json (or formatting: sharegpt for conversations)"
            )

        def to_grpo(row):
            prompt, solution = alpaca_row(row, attr.columns)
            return {"prompt": prompt, "solution": solution}

    else:
        messages_col, tags = _sharegpt_layout(attr, dataset)
        system_col = attr.columns.get("system")
        used = {messages_col, system_col}
        bad: list[tuple[int, str]] = []

        def to_grpo(row, index):
            try:
                prompt, solution = sharegpt_row(row[messages_col], tags, row.get(system_col) if system_col else None)
            except DatasetInfoError as err:
                if "tool" in str(err):
                    raise DatasetInfoError(f"dataset {attr.name!r}, row {index}: {err}") from None
                bad.append((index, str(err)))
                return {"prompt": [], "solution": None}
            return {"prompt": prompt, "solution": solution}

    drop = [c for c in dataset.column_names if c in used or c in ("prompt", "solution")]
    if attr.formatting == "alpaca":
        out = dataset.map(to_grpo, remove_columns=drop)
        return out
    out = dataset.map(to_grpo, with_indices=True, remove_columns=drop, load_from_cache_file=False)
    if bad:
        logger.warning(
            "dataset %r: %d row(s) left out, turns not in user/assistant order (first: row %d, %s)",
            attr.name, len(bad), bad[0][0], bad[0][1],
        )
        out = out.filter(lambda row: len(row["prompt"]) > 0)
    if len(out) == 0:
        raise DatasetInfoError(f"dataset {attr.name!r}: no usable row (first problem: row {bad[0][0]}, {bad[0][1]})")
    return out


def load_registered(
    names: str, dataset_dir: str, max_samples: int | None = None, streaming: bool = False, seed: int = DEFAULT_SEED
):
    """Every dataset in ``names`` (comma-separated) loaded, sampled, converted and concatenated (LLaMA-Factory's
    ``mix_strategy: concat``): a dataset with ``prompt`` (conversation) and ``solution`` columns."""
    from datasets import concatenate_datasets

    if streaming:
        raise DatasetInfoError("dataset_streaming is not supported with dataset_dir datasets; set it to false")
    parts = []
    for attr in dataset_list(names, dataset_dir):
        raw = load_raw(attr, dataset_dir)
        if attr.num_samples is not None:
            raw = sample_rows(raw, attr.num_samples, seed)
        if max_samples is not None:
            raw = raw.select(range(min(max_samples, len(raw))))
        parts.append(convert(raw, attr))
        logger.info("dataset %r: %d rows (%s)", attr.name, len(parts[-1]), attr.formatting)
    if len(parts) == 1:
        return parts[0]
    common = [c for c in parts[0].column_names if all(c in p.column_names for p in parts[1:])]
    return concatenate_datasets([p.select_columns(common) for p in parts])
