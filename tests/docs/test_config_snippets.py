"""Every ```yaml, ```json and ```toml snippet of README.md and docs/*.md parses into the config it shows.

- YAML with accelerate's keys (``compute_environment`` / ``distributed_type``) builds accelerate's ClusterConfig.
- Any other YAML is a ``grpo-plus train --config`` file (GRPOPlusConfig, ModelConfig and dataset fields, or a
  LLaMA-Factory config): the CLI's own parser reads it, and every native field it sets that no LLaMA-Factory key
  converts comes out with the value the snippet gives it.
- JSON is a LLaMA-Factory ``dataset_info.json``: each entry uses only the keys the dialect reads.
- TOML is a pyproject.toml fragment registering rewards through the registry's entry-point group.
"""

from __future__ import annotations

import json
import tomllib

import pytest
import yaml

from tests.docs.snippets import all_snippets

ACCELERATE_KEYS = {"compute_environment", "distributed_type"}
# Fields the CLI changes on purpose on this GPU-less machine: bf16 / fp16 from a file train in float32 (the "machine
# fit" of docs/llamafactory.md, tested in tests/grpo_plus/dialects/); compared only where a GPU is present.
MACHINE_FIT = {"bf16", "fp16"}


def _normalised(name, value):
    from grpo_plus.config import parse_reward_funcs

    if name == "reward_funcs":
        return parse_reward_funcs(value)
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("snippet", all_snippets("yaml"), ids=str)
def test_yaml_snippet_parses_into_its_config(snippet, tmp_path, monkeypatch):
    data = yaml.safe_load(snippet.code)
    assert isinstance(data, dict) and data, f"{snippet} is not a mapping of config keys"
    if ACCELERATE_KEYS & set(data):
        from accelerate.commands.config.config_args import ClusterConfig

        ClusterConfig(**data)
        return
    from grpo_plus import cli
    from grpo_plus.dialects.llamafactory import KEYS, UNSUPPORTED

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "snippet.yaml"
    path.write_text(snippet.code, encoding="utf-8")
    parsed = cli.parse_train_args(["--config", str(path)])[:3]
    converted = {key.name for key in KEYS} | set(UNSUPPORTED)
    checked = 0
    for name, value in data.items():
        if name in converted or (name in MACHINE_FIT and not cli._has_accelerator()):
            continue
        holders = [args for args in parsed if hasattr(args, name)]
        assert holders, f"{snippet}: {name!r} is no field of the parsed configs"
        assert _normalised(name, getattr(holders[0], name)) == _normalised(name, value), name
        checked += 1
    assert checked, f"{snippet}: no native field to compare"


@pytest.mark.parametrize("snippet", all_snippets("json"), ids=str)
def test_json_snippet_is_a_dataset_info(snippet):
    from grpo_plus.dialects.lf_data import ENTRY_KEYS

    data = json.loads(snippet.code)
    assert isinstance(data, dict) and data
    for name, entry in data.items():
        assert set(entry) <= set(ENTRY_KEYS), f"{snippet}: {name} uses keys the dialect does not read"


@pytest.mark.parametrize("snippet", all_snippets("toml"), ids=str)
def test_toml_snippet_registers_rewards_by_entry_point(snippet):
    from rewards.registry import ENTRY_POINT_GROUP

    groups = tomllib.loads(snippet.code)["project"]["entry-points"]
    assert set(groups) == {ENTRY_POINT_GROUP}
    for name, target in groups[ENTRY_POINT_GROUP].items():
        module, _, function = target.partition(":")
        assert module and function.isidentifier(), f"{snippet}: {name} = {target!r} is not 'module:function'"
