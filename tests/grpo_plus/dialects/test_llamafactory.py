"""LLaMA-Factory configs through ``grpo-plus train``'s parser: one test per mapped key (value converted, log line
written), the batch semantics, the cutoff_len split, dialect detection, errors that name the key and the closest valid
choice, and the bf16 fallback on a machine without a GPU. Expected values follow LLaMA-Factory's documented meanings
(hparams/*_args.py), worked out by hand."""

import logging
import re
from pathlib import Path

import pytest
import yaml

from grpo_plus import cli, dialects
from grpo_plus.dialects.llamafactory import KEY_BY_NAME, KEYS, UNSUPPORTED, config_mapping_markdown

REPO = Path(__file__).resolve().parents[3]

# The issue's example config (a tiny model and a local dataset substituted by the tests that train).
ISSUE_CONFIG = {
    "model_name_or_path": "Qwen/Qwen2.5-7B",
    "stage": "grpo",
    "do_train": True,
    "finetuning_type": "lora",
    "num_generations": 8,
    "pref_beta": 0.04,
    "reward_funcs": "accuracy,format",
    "lora_rank": 64,
    "lora_target": "all",
    "dataset": "my_math_data",
    "template": "qwen",
    "cutoff_len": 4096,
    "per_device_train_batch_size": 1,
    "gradient_accumulation_steps": 4,
    "learning_rate": 5.0e-7,
    "num_train_epochs": 1,
    "bf16": True,
    "output_dir": "saves/qwen2.5-7b/lora/grpo",
}


def parse(tmp_path, fields, *argv):
    path = tmp_path / "lf.yaml"
    path.write_text(yaml.safe_dump(fields, allow_unicode=True, sort_keys=False))
    training_args, model_args, data_args, explicit = cli.parse_train_args(["--config", str(path), *argv])
    return {"train": training_args, "model": model_args, "data": data_args, "explicit": explicit, "path": str(path)}


def base(tmp_path, **fields):
    return {"model_name_or_path": "m", "stage": "grpo", "reward_funcs": "format", "output_dir": str(tmp_path / "o"),
            **fields}


def value_of(parsed, dotted):
    owner, name = dotted.split(".")
    return getattr(parsed[owner], name)


@pytest.fixture
def info_log(caplog):
    caplog.set_level(logging.INFO, logger="grpo_plus")
    return caplog


# (LLaMA-Factory keys, expected field values, the log line)
KEY_CASES = {
    "stage": ({"stage": "grpo"}, {}, "stage='grpo' -> GRPOPlusTrainer"),
    "finetuning_type": (
        {"finetuning_type": "full"}, {"model.use_peft": False}, "finetuning_type='full' -> use_peft=False"
    ),
    "lora_rank": ({"lora_rank": 64}, {"model.lora_r": 64, "model.lora_alpha": 128}, "lora_rank=64 -> lora_r=64"),
    "lora_alpha": ({"lora_rank": 16, "lora_alpha": 24}, {"model.lora_alpha": 24}, "lora_alpha=24 -> lora_alpha=24"),
    "lora_dropout": ({"lora_dropout": 0.1}, {"model.lora_dropout": 0.1}, "lora_dropout=0.1 -> lora_dropout=0.1"),
    "lora_target": (
        {"lora_target": "q_proj,v_proj"}, {"model.lora_target_modules": ["q_proj", "v_proj"]},
        "lora_target='q_proj,v_proj' -> lora_target_modules=['q_proj', 'v_proj']",
    ),
    "additional_target": (
        {"additional_target": "embed_tokens, lm_head"}, {"model.lora_modules_to_save": ["embed_tokens", "lm_head"]},
        "additional_target='embed_tokens, lm_head' -> lora_modules_to_save=['embed_tokens', 'lm_head']",
    ),
    "pref_beta": ({"pref_beta": 0.04}, {"train.beta": 0.04}, "pref_beta=0.04 -> beta=0.04"),
    "quantization_bit": (
        {"quantization_bit": 4}, {"model.load_in_4bit": True, "model.load_in_8bit": False, "model.dtype": "float32"},
        "quantization_bit=4 -> load_in_4bit=True, dtype='float32'",
    ),
    "quantization_method": (
        {"quantization_bit": 8, "quantization_method": "bitsandbytes"}, {"model.load_in_8bit": True},
        "quantization_method='bitsandbytes' -> `bnb` (default) or `bitsandbytes`",
    ),
    "quantization_type": (
        {"quantization_bit": 4, "quantization_type": "fp4"}, {"model.bnb_4bit_quant_type": "fp4"},
        "quantization_type='fp4' -> bnb_4bit_quant_type='fp4'",
    ),
    "double_quantization": (
        {"quantization_bit": 4, "double_quantization": False}, {"model.use_bnb_nested_quant": False},
        "double_quantization=False -> use_bnb_nested_quant=False",
    ),
    "dataset": (
        {"dataset": "math_a, math_b"}, {"data.dataset_name": "math_a,math_b", "data.dataset_dir": "data"},
        "dataset='math_a, math_b' -> dataset_name='math_a,math_b'",
    ),
    "dataset_dir": (
        {"dataset": "math_a", "dataset_dir": "my/data"}, {"data.dataset_dir": "my/data"},
        "dataset_dir='my/data' -> dataset_dir='my/data'",
    ),
    "template": ({"template": "llama3"}, {"data.template": "llama3"}, "template='llama3' -> template='llama3'"),
    "default_system": (
        {"default_system": "Be brief."}, {"data.system_prompt": "Be brief."},
        "default_system='Be brief.' -> system_prompt='Be brief.'",
    ),
    # 4096 tokens: the completion gets max_new_tokens' default 1024 (≤ 4096 // 2), the prompt the other 3072
    "cutoff_len": (
        {"cutoff_len": 4096}, {"data.max_prompt_length": 3072, "train.max_completion_length": 1024},
        "cutoff_len=4096 -> max_prompt_length=3072, max_completion_length=1024",
    ),
    "max_new_tokens": (
        {"max_new_tokens": 256, "cutoff_len": 1024},
        {"train.max_completion_length": 256, "data.max_prompt_length": 768},
        "max_new_tokens=256 -> max_completion_length=256",
    ),
    # 2 prompts × 4 completions each = 8 completions per device step
    "per_device_train_batch_size": (
        {"per_device_train_batch_size": 2, "num_generations": 4}, {"train.per_device_train_batch_size": 8},
        "per_device_train_batch_size=2 -> per_device_train_batch_size=8 (2 prompt(s) × num_generations=4",
    ),
    "per_device_eval_batch_size": (
        {"per_device_eval_batch_size": 3, "num_generations": 4}, {"train.per_device_eval_batch_size": 12},
        "per_device_eval_batch_size=3 -> per_device_eval_batch_size=12",
    ),
    "enable_thinking": (
        {"enable_thinking": False}, {"train.chat_template_kwargs": {"enable_thinking": False}},
        "enable_thinking=False -> chat_template_kwargs={'enable_thinking': False}",
    ),
    "flash_attn": (
        {"flash_attn": "fa2"}, {"model.attn_implementation": "flash_attention_2"},
        "flash_attn='fa2' -> attn_implementation='flash_attention_2'",
    ),
    "disable_gradient_checkpointing": (
        {"disable_gradient_checkpointing": True}, {"train.activation_checkpointing": False,
                                                   "train.gradient_checkpointing": False},
        "disable_gradient_checkpointing=True -> activation_checkpointing=False",
    ),
    "warmup_ratio": ({"warmup_ratio": 0.1}, {"train.warmup_steps": 0.1}, "warmup_ratio=0.1 -> warmup_steps=0.1"),
    "mix_strategy": ({"mix_strategy": "concat"}, {}, "mix_strategy='concat' -> `concat` only"),
    "plot_loss": ({"plot_loss": True}, {}, "plot_loss=True -> curves in {out}/grpo_metrics/ (every run)"),
    "overwrite_output_dir": ({"overwrite_output_dir": True}, {}, "overwrite_output_dir=True -> no effect"),
    "overwrite_cache": ({"overwrite_cache": True}, {}, "overwrite_cache=True -> no effect"),
    "preprocessing_num_workers": ({"preprocessing_num_workers": 16}, {}, "preprocessing_num_workers=16 -> no effect"),
    "preprocessing_batch_size": ({"preprocessing_batch_size": 500}, {}, "preprocessing_batch_size=500 -> no effect"),
}


def test_every_mapped_key_has_a_test():
    assert set(KEY_CASES) == set(KEY_BY_NAME)


@pytest.mark.parametrize("key", list(KEY_CASES))
def test_mapped_key_is_converted_and_logged(tmp_path, info_log, key):
    fields, expected, line = KEY_CASES[key]
    parsed = parse(tmp_path, base(tmp_path, **fields))
    for dotted, value in expected.items():
        assert value_of(parsed, dotted) == value, dotted
    assert line.replace("{out}", str(tmp_path / "o")) in info_log.text
    own = [r for r in info_log.records if r.getMessage().startswith((f"{key}=", f"{key} (not set"))]
    assert len(own) == 1  # logged once


def test_llamafactory_lora_defaults(tmp_path, info_log):
    """Not set in the file: LoRA (rank 8, alpha 16, dropout 0, every linear layer), as LLaMA-Factory defaults."""
    parsed = parse(tmp_path, base(tmp_path))
    model = parsed["model"]
    assert (model.use_peft, model.lora_r, model.lora_alpha, model.lora_dropout) == (True, 8, 16, 0.0)
    assert model.lora_target_modules == "all-linear"
    assert "finetuning_type (not set; LLaMA-Factory's default 'lora') -> use_peft=True" in info_log.text
    assert "lora_target (not set; LLaMA-Factory's default 'all') -> lora_target_modules='all-linear'" in info_log.text
    assert parsed["data"].template == "empty"


def test_lora_keys_have_no_effect_with_full_finetuning(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="grpo_plus")
    parsed = parse(tmp_path, base(tmp_path, finetuning_type="full", lora_rank=64))
    assert parsed["model"].use_peft is False and parsed["model"].lora_r == 16  # TRL's default, untouched
    assert "lora_rank=64 has no effect" in caplog.text


def test_flash_attn_disabled_is_eager(tmp_path):
    assert parse(tmp_path, base(tmp_path, flash_attn="disabled"))["model"].attn_implementation == "eager"


def test_cutoff_len_split_for_short_budgets(tmp_path):
    # no max_new_tokens: completion = min(1024, 1000 // 2) = 500, prompt = 500
    parsed = parse(tmp_path, base(tmp_path, cutoff_len=1000))
    assert (parsed["data"].max_prompt_length, parsed["train"].max_completion_length) == (500, 500)
    # TRL's own max_completion_length counts like max_new_tokens: prompt = 1000 - 100
    parsed = parse(tmp_path, base(tmp_path, cutoff_len=1000, max_completion_length=100))
    assert (parsed["data"].max_prompt_length, parsed["train"].max_completion_length) == (900, 100)


def test_cutoff_len_without_room_for_the_prompt(tmp_path, capsys):
    path = tmp_path / "lf.yaml"
    path.write_text(yaml.safe_dump(base(tmp_path, cutoff_len=64, max_new_tokens=64)))
    assert cli.main(["train", "--config", str(path)]) == 2
    assert "cutoff_len=64 leaves no room for the prompt with max_new_tokens=64" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ batch semantics
def test_batch_counts_prompts(tmp_path):
    """The issue's config: 1 prompt × 8 completions per device step; 4 accumulation steps = 4 prompts (32
    completions) per optimizer step, generated in one round."""
    parsed = parse(tmp_path, ISSUE_CONFIG)
    args = parsed["train"]
    assert args.per_device_train_batch_size == 8 and args.num_generations == 8
    assert args.gradient_accumulation_steps == 4 and args.steps_per_generation == 4
    assert args.generation_batch_size == 32
    assert args.generation_batch_size // args.num_generations == 4  # prompts per optimizer step


def test_batch_flags_on_the_command_line_count_prompts_too(tmp_path):
    parsed = parse(tmp_path, ISSUE_CONFIG, "--per_device_train_batch_size", "2", "--num_generations=4")
    args = parsed["train"]
    assert (args.per_device_train_batch_size, args.num_generations, args.generation_batch_size) == (8, 4, 32)


def test_trl_generation_batch_size_counts_completions(tmp_path):
    # 2 prompts × 4 = 8 completions per device step; 24 completions per generation round = 3 device steps
    parsed = parse(tmp_path, base(tmp_path, per_device_train_batch_size=2, num_generations=4, generation_batch_size=24))
    assert (parsed["train"].per_device_train_batch_size, parsed["train"].steps_per_generation) == (8, 3)


def test_native_config_keeps_trl_batch_semantics(tmp_path):
    fields = {"model_name_or_path": "m", "reward_funcs": "format", "output_dir": str(tmp_path / "o"),
              "per_device_train_batch_size": 8, "num_generations": 4}
    assert parse(tmp_path, fields)["train"].per_device_train_batch_size == 8


# ------------------------------------------------------------------------------------------ detection, flags
def test_issue_config_translates_as_written(tmp_path, info_log):
    parsed = parse(tmp_path, ISSUE_CONFIG, "--max_steps", "2")
    args, model, data = parsed["train"], parsed["model"], parsed["data"]
    assert args.max_steps == 2 and args.beta == 0.04 and args.learning_rate == 5.0e-7
    assert args.reward_funcs == ["accuracy", "format"]
    assert (model.use_peft, model.lora_r, model.lora_alpha, model.lora_target_modules) == (True, 64, 128, "all-linear")
    assert (data.dataset_name, data.dataset_dir, data.template) == ("my_math_data", "data", "qwen")
    assert "is LLaMA-Factory style (keys stage, finetuning_type, pref_beta, lora_rank)" in info_log.text
    assert set(ISSUE_CONFIG) <= parsed["explicit"]


def test_dialect_line_forces_the_translation(tmp_path):
    fields = {"dialect": "llamafactory", "model_name_or_path": "m", "reward_funcs": "format",
              "output_dir": str(tmp_path / "o"), "per_device_train_batch_size": 2, "num_generations": 4}
    assert parse(tmp_path, fields)["train"].per_device_train_batch_size == 8


def test_llamafactory_keys_on_the_command_line(tmp_path):
    parsed = parse(tmp_path, ISSUE_CONFIG, "--cutoff_len", "64", "--max_new_tokens=16", "--pref_beta", "1e-3")
    assert (parsed["data"].max_prompt_length, parsed["train"].max_completion_length) == (48, 16)
    assert parsed["train"].beta == 0.001


def test_native_flag_beats_the_files_llamafactory_key(tmp_path):
    assert parse(tmp_path, ISSUE_CONFIG, "--beta", "0.1")["train"].beta == 0.1


def test_conflicting_keys_name_both(tmp_path):
    with pytest.raises(cli.ConfigError, match="pref_beta and beta are both set in .*; keep one of them"):
        parse(tmp_path, base(tmp_path, pref_beta=0.04, beta=0.1))
    assert parse(tmp_path, base(tmp_path, pref_beta=0.04, beta=0.04))["train"].beta == 0.04


def test_llamafactory_config_needs_a_model(tmp_path):
    fields = base(tmp_path)
    del fields["model_name_or_path"]
    with pytest.raises(cli.ConfigError, match="model_name_or_path is not set in .* \\(LLaMA-Factory requires it"):
        parse(tmp_path, fields)


# ------------------------------------------------------------------------------------------- errors, named
@pytest.mark.parametrize(
    "fields, message",
    [
        ({"stage": "sft"}, "stage='sft' is not supported: grpo-plus trains GRPO only .*choose one of: 'grpo'"),
        ({"stage": "grp"}, "stage='grp' is not supported.*choose one of: 'grpo'; did you mean 'grpo'\\?"),
        ({"finetuning_type": "freeze"}, "finetuning_type='freeze' is not supported \\(LLaMA-Factory trains only the "
         "last freeze_trainable_layers.*choose one of: 'lora', 'full'"),
        ({"quantization_bit": 2}, "quantization_bit=2 is not supported.*choose one of: 4, 8"),
        ({"quantization_bit": 4, "quantization_method": "hqq"},
         "quantization_method='hqq' is not supported.*choose one of: 'bnb', 'bitsandbytes'"),
        ({"quantization_bit": 4, "finetuning_type": "full"}, "quantization_bit=4 needs finetuning_type: lora"),
        ({"template": "qwne"}, "template='qwne' is not known; did you mean 'qwen'\\?"),
        ({"flash_attn": "fa4"}, "flash_attn='fa4' is not supported; choose one of: .*; did you mean 'fa3'\\?"),
        ({"mix_strategy": "interleave_under"}, "mix_strategy='interleave_under' is not supported"),
        ({"pref_beta": "a lot"}, "pref_beta='a lot' is not valid; expected a number"),
        ({"use_unsloth": True}, "use_unsloth=True is not supported by grpo-plus: Unsloth is not integrated"),
        ({"val_size": 0.1}, "val_size=0.1 is not supported by grpo-plus: held-out splits"),
        ({"lora_rnak": 8}, "unknown field 'lora_rnak' in .*; did you mean 'lora_rank' \\(a LLaMA-Factory key\\)\\?"),
        ({"learning_rat": 1e-5}, "unknown field 'learning_rat' in .*; did you mean 'learning_rate'\\?"),
    ],
)
def test_unsupported_and_unknown_keys_name_the_key_and_the_choices(tmp_path, capsys, fields, message):
    path = tmp_path / "lf.yaml"
    path.write_text(yaml.safe_dump(base(tmp_path, **fields)))
    assert cli.main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(re.findall(message, err)) == 1, err


@pytest.mark.parametrize("ratio", [1.5, 1.0, -0.1])
def test_warmup_ratio_outside_zero_one_is_one_error_line(tmp_path, capsys, ratio):
    path = tmp_path / "lf.yaml"
    path.write_text(yaml.safe_dump(base(tmp_path, warmup_ratio=ratio)))
    assert cli.main(["train", "--config", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"grpo-plus train: error: warmup_ratio={ratio} is not valid; it is a fraction of the training steps in [0, 1)"
    ]


def test_llamafactory_defaults_of_unsupported_keys_do_nothing(tmp_path, info_log):
    parse(tmp_path, base(tmp_path, use_unsloth=False, val_size=0.0))
    assert "use_unsloth=False -> no effect (LLaMA-Factory's default)" in info_log.text


def test_unknown_key_in_a_native_config_suggests_from_both_vocabularies(tmp_path):
    fields = {"model_name_or_path": "m", "reward_funcs": "format", "output_dir": str(tmp_path / "o"),
              "cutof_len": 512}
    with pytest.raises(cli.ConfigError, match="unknown field 'cutof_len' in .*; did you mean 'cutoff_len' \\(a LLaMA"):
        parse(tmp_path, fields)


def test_llamafactory_flag_with_a_native_config_is_an_error(tmp_path):
    fields = {"model_name_or_path": "m", "reward_funcs": "format", "output_dir": str(tmp_path / "o")}
    with pytest.raises(cli.ConfigError, match="--cutoff_len is a LLaMA-Factory key, but .* is a grpo_plus/TRL config"):
        parse(tmp_path, fields, "--cutoff_len", "512")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"dialect": "axolotl"}, "dialect='axolotl' is not valid in .*; choose one of: 'trl', 'llamafactory'"),
        ({"dialect": "trl", "pref_beta": 0.1}, "'pref_beta' in .* is a LLaMA-Factory key, but the config says dialect"),
    ],
)
def test_dialect_line_errors(tmp_path, fields, message):
    with pytest.raises(cli.ConfigError, match=message):
        parse(tmp_path, {"model_name_or_path": "m", "output_dir": str(tmp_path / "o"), **fields})


def test_unsupported_keys_are_llamafactory_keys_not_native_fields():
    native = cli._field_names(cli.make_parser())
    assert not set(UNSUPPORTED) & native
    assert all(t in native for key in KEYS for t in key.targets)


# ---------------------------------------------------------------------------------------------- precision fit
def test_bf16_falls_back_to_float32_without_a_gpu_with_one_warning(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(cli, "_has_accelerator", lambda: False)
    caplog.set_level(logging.WARNING, logger="grpo_plus")
    parsed = parse(tmp_path, ISSUE_CONFIG)
    assert parsed["train"].bf16 is False and parsed["train"].use_cpu is True and parsed["model"].dtype == "float32"
    warnings = [r for r in caplog.records if "no GPU" in r.getMessage()]
    assert len(warnings) == 1
    assert "bf16: true in" in warnings[0].getMessage() and "training in float32 instead" in warnings[0].getMessage()


def test_bf16_with_use_cpu_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_has_accelerator", lambda: False)
    parsed = parse(tmp_path, {**ISSUE_CONFIG, "use_cpu": True})
    assert parsed["train"].bf16 is True and parsed["model"].dtype == "bfloat16"


def test_native_bf16_config_falls_back_too(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_has_accelerator", lambda: False)
    fields = {"model_name_or_path": "m", "reward_funcs": "format", "output_dir": str(tmp_path / "o"), "bf16": True,
              "dtype": "bfloat16"}
    parsed = parse(tmp_path, fields)
    assert parsed["train"].bf16 is False and parsed["model"].dtype == "float32"


def test_a_gpu_run_keeps_bf16():
    native = cli._field_names(cli.make_parser())
    result = dialects.translate(ISSUE_CONFIG, native=native, has_accelerator=True)
    assert result.config["bf16"] is True and result.config["dtype"] == "bfloat16"  # frozen base in the compute dtype
    quantized = dialects.translate({**ISSUE_CONFIG, "quantization_bit": 4}, native=native, has_accelerator=True)
    assert quantized.config["load_in_4bit"] is True and quantized.config["dtype"] == "bfloat16"


# ---------------------------------------------------------------------------------------------------- README
def test_readme_mapping_table_is_generated_from_the_key_table():
    page = (REPO / "docs" / "llamafactory.md").read_text(encoding="utf-8")
    stale = "docs/llamafactory.md's LLaMA-Factory table is stale: paste `python -m grpo_plus.dialects`"
    assert config_mapping_markdown() in page, stale


def test_example_config_is_the_issue_config():
    example = yaml.safe_load((REPO / "configs" / "llamafactory_grpo.yaml").read_text(encoding="utf-8"))
    assert {k: v for k, v in example.items() if k in ISSUE_CONFIG} == ISSUE_CONFIG
    assert set(example) - set(ISSUE_CONFIG) == {"dataset_dir", "plot_loss"}


def test_enable_thinking_merges_into_chat_template_kwargs(tmp_path):
    parsed = parse(tmp_path, base(tmp_path, enable_thinking=False, chat_template_kwargs={"custom": 1}))
    assert parsed["train"].chat_template_kwargs == {"custom": 1, "enable_thinking": False}


def test_completion_length_flag_beats_the_files_max_new_tokens(tmp_path):
    parsed = parse(tmp_path, {**ISSUE_CONFIG, "max_new_tokens": 256}, "--max_completion_length", "16")
    assert (parsed["train"].max_completion_length, parsed["data"].max_prompt_length) == (16, 4096 - 16)
