"""Every YAML under configs/ loads: run configs into the CLI parser (no model, no dataset), accelerate configs into
accelerate's own config class."""

from pathlib import Path

import pytest
import yaml

from grpo_plus import cli

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
ALL_YAML = sorted(p for p in CONFIGS.rglob("*") if p.suffix in (".yaml", ".yml"))
ACCELERATE = [p for p in ALL_YAML if "accelerate" in p.relative_to(CONFIGS).parts]
DEMO = CONFIGS / "demo.yaml"
RUNS = [p for p in ALL_YAML if p not in ACCELERATE and p != DEMO]


def test_the_documented_configs_exist():
    names = {str(p.relative_to(CONFIGS)) for p in ALL_YAML}
    assert {
        "demo.yaml",
        "qlora_single_gpu.yaml",
        "process_reward.yaml",
        "multi_gpu_full.yaml",
        "accelerate/multi_gpu.yaml",
        "accelerate/deepspeed_zero2.yaml",
        "accelerate/deepspeed_zero3.yaml",
    } <= names


@pytest.mark.parametrize("path", RUNS, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_run_config_parses_and_names_registered_rewards(path):
    from rewards import list_rewards

    # --use_cpu: bf16 configs are written for GPUs; this machine may have none.
    training_args, model_args, data_args, explicit = cli.parse_train_args(["--config", str(path), "--use_cpu"])
    assert set(yaml.safe_load(path.read_text())) <= explicit | {"env"}
    levels = {info.name: info.level for info in list_rewards()}
    rewards = cli.check_rewards(training_args)
    step_rewards = [r.__name__ for r in rewards if levels[r.__name__] == "step"]
    if training_args.reward_mode == "process":
        assert step_rewards, "process mode needs a step reward"
    else:
        assert not step_rewards, "outcome mode cannot use step rewards"
    assert model_args.model_name_or_path and data_args.dataset_name


def test_demo_config_is_the_demo_defaults():
    """demo.yaml holds training arguments only (no model: the CLI runs the demo) and equals the demo's defaults."""
    from grpo_plus.demo.run import DEFAULT_ARGS, DEFAULT_OUTPUT_DIR

    training_args, model_args, data_args, explicit = cli.parse_train_args(["--config", str(DEMO)])
    assert model_args.model_name_or_path is None and data_args.dataset_name is None
    settings = yaml.safe_load(DEMO.read_text())
    assert settings == {"output_dir": DEFAULT_OUTPUT_DIR, **DEFAULT_ARGS}


def test_qlora_config_is_the_qlora_recipe():
    training_args, model_args, data_args, _ = cli.parse_train_args(
        ["--config", str(CONFIGS / "qlora_single_gpu.yaml"), "--use_cpu"]
    )
    assert model_args.model_name_or_path == "Qwen/Qwen2.5-1.5B-Instruct"
    assert (data_args.dataset_name, data_args.dataset_config) == ("openai/gsm8k", "main")
    assert model_args.load_in_4bit and model_args.bnb_4bit_quant_type == "nf4" and model_args.use_bnb_nested_quant
    assert model_args.dtype == "bfloat16" and training_args.bf16
    assert model_args.use_peft and (model_args.lora_r, model_args.lora_alpha) == (16, 32)
    assert model_args.lora_target_modules == "all-linear"
    assert training_args.gradient_checkpointing
    assert training_args.reward_funcs == ["accuracy", "format"] and training_args.kl_estimator == "k3"


@pytest.mark.parametrize("path", ACCELERATE, ids=lambda p: p.name)
def test_accelerate_config_loads_in_accelerate(path):
    from accelerate.commands.config.config_args import ClusterConfig
    from accelerate.commands.launch import launch_command_parser

    config = ClusterConfig.from_yaml_file(str(path))  # raises on keys accelerate does not know
    raw = yaml.safe_load(path.read_text())
    launch_options = {action.dest for action in launch_command_parser()._actions}
    if "deepspeed" in path.name:
        assert config.distributed_type.value == "DEEPSPEED"
        assert set(raw["deepspeed_config"]) <= launch_options  # accelerate launch reads these as its own flags
        assert raw["deepspeed_config"]["zero_stage"] == int(path.stem[-1])
    else:
        assert config.distributed_type.value == "MULTI_GPU"
    assert config.mixed_precision == "bf16" and config.num_processes == 8
