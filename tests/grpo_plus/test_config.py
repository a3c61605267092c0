"""GRPOPlusConfig validation: every bad value fails at construction with the field and the valid values."""

import ast
import re
from pathlib import Path

import pytest

from grpo_plus.config import GRPOPlusConfig


def make(tmp_path, **kwargs):
    return GRPOPlusConfig(output_dir=str(tmp_path), use_cpu=True, report_to="none", **kwargs)


def test_defaults(tmp_path):
    config = make(tmp_path)
    assert (config.kl_estimator, config.kl_in_reward, config.reward_mode, config.step_separator) == (
        "k3",
        False,
        "outcome",
        "\n\n",
    )
    assert config.scale_rewards == "group"


@pytest.mark.parametrize("scale, warned", [("group", True), ("batch", False), ("none", False)])
def test_kl_in_reward_with_group_scaling_warns(tmp_path, caplog, scale, warned):
    with caplog.at_level("WARNING", logger="grpo_plus.config"):
        make(tmp_path, beta=0.04, kl_in_reward=True, scale_rewards=scale)
        make(tmp_path, beta=0.04, scale_rewards=scale)  # KL in the loss: nothing to say
    assert [r.getMessage().startswith("kl_in_reward=True with scale_rewards='group'") for r in caplog.records] == (
        [True] if warned else [])


@pytest.mark.parametrize(
    "kwargs,pattern",
    [
        ({"kl_estimator": "k4"}, r"kl_estimator='k4' is not valid; choose one of: 'k1', 'k2', 'k3', 'k1\+', 'k3\+'"),
        ({"scale_rewards": "std"}, r"scale_rewards='std' is not valid; choose one of: 'group', 'batch', 'none'"),
        ({"reward_mode": "step"}, r"reward_mode='step' is not valid; choose one of: 'outcome', 'process'"),
        ({"loss_type": "ppo"}, r"loss_type='ppo' is not valid; choose one of: 'grpo', 'bnpo', 'dr_grpo'"),
        ({"reward_errors": "skip"}, r"reward_errors='skip' is not valid; choose one of: 'raise', 'none'"),
        ({"beta": -0.1}, r"beta=-0.1 is not valid.*≥ 0"),
        ({"kl_in_reward": True, "beta": 0.0}, r"kl_in_reward=True needs beta > 0"),
        ({"step_separator": ""}, r"step_separator must be a non-empty string"),
        ({"reward_funcs": " , "}, r"reward_funcs is empty"),
        ({"reward_funcs": [1, 2]}, r"reward_funcs must be a list"),
        ({"reward_kwargs": {"accuracy": 5}}, r"reward_kwargs must map reward names to dicts"),
        (
            {"reward_funcs": "accuracy", "reward_kwargs": {"format": {"strict": True}}},
            r"reward_kwargs names \['format'\] that are not in reward_funcs \['accuracy'\]",
        ),
        (
            {"reward_mode": "process", "multi_objective_aggregation": "normalize_then_sum"},
            r"multi_objective_aggregation='normalize_then_sum' is not supported.*'sum_then_normalize'",
        ),
    ],
)
def test_bad_values_raise(tmp_path, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        make(tmp_path, **kwargs)


def test_scale_rewards_bools_and_comma_string(tmp_path):
    assert make(tmp_path, scale_rewards=False).scale_rewards == "none"
    assert make(tmp_path, scale_rewards=True).scale_rewards == "group"
    config = make(tmp_path, reward_funcs="accuracy, format", reward_kwargs={"format": {"strict": False}})
    assert config.reward_funcs == ["accuracy", "format"]
    assert make(tmp_path, reward_funcs=["accuracy,format", "tag_count"]).reward_funcs == ["accuracy", "format", "tag_count"]
    parsed = make(tmp_path, reward_funcs="accuracy", reward_kwargs='{"accuracy": {"timeout": 2}}')
    assert parsed.reward_kwargs == {"accuracy": {"timeout": 2}}
    with pytest.raises(ValueError, match="reward_kwargs is not valid JSON"):
        make(tmp_path, reward_kwargs="{accuracy: 2}")


def test_every_new_field_is_documented():
    from dataclasses import fields

    from trl import GRPOConfig

    new = {f.name: f for f in fields(GRPOPlusConfig)}.keys() - {f.name for f in fields(GRPOConfig)}
    assert new == {
        "kl_estimator", "kl_in_reward", "reward_mode", "process_credit", "step_separator", "reward_funcs", "reward_kwargs",
        "reward_errors", "dynamic_sampling", "max_resample_rounds", "kl_target", "kl_horizon", "entropy_control",
        "kl_cov_ratio", "kl_cov_coef", "clip_cov_ratio", "clip_cov_bounds",
    }
    for f in fields(GRPOPlusConfig):
        if f.name in new:
            assert len(f.metadata.get("help", "")) > 40, f.name


def _page_rows(text: str) -> dict[str, list[str]]:
    """The rows of docs/configuration.md's field table: field name -> its cells (unescaped)."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[0].strip("`")] = cells
    return rows


def test_configuration_page_documents_every_field_with_its_real_default():
    """Checked against the dataclass itself: every new field, the default an instance really gets, its choices and
    its help text; then the page is the generator's output (the sync check)."""
    from dataclasses import fields

    from trl import GRPOConfig

    from grpo_plus.config import config_reference_markdown

    page = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = _page_rows(page)
    instance = GRPOPlusConfig(output_dir="out", use_cpu=True)  # use_cpu: TRL's bf16 default needs it on a CPU
    new = [f for f in fields(GRPOPlusConfig) if f.name not in {g.name for g in fields(GRPOConfig)}]
    assert [f.name for f in new] == list(rows), "docs/configuration.md lists other fields than GRPOPlusConfig adds"
    for f in new:
        name, default, choices, meaning = rows[f.name]
        assert ast.literal_eval(default.strip("`")) == getattr(instance, f.name), f.name
        assert choices == ", ".join(f"`{c}`" for c in f.metadata.get("choices", [])), f.name
        assert meaning == f.metadata["help"], f.name
    assert rows["clip_cov_bounds"][1] == "`[1.0, 5.0]`"  # a default_factory default (verl's clip_cov_lb/ub)
    assert rows["process_credit"][1] == "`'sum'`"
    stale = "docs/configuration.md's table is stale: paste `python -m grpo_plus.config`"
    assert config_reference_markdown() in page, stale
