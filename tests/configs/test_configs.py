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
STEPS_OUTCOME, STEPS_PROCESS = CONFIGS / "demo_steps_outcome.yaml", CONFIGS / "demo_steps_process.yaml"
CHAINS_OUTCOME, CHAINS_PROCESS = CONFIGS / "demo_chains_outcome.yaml", CONFIGS / "demo_chains_process.yaml"
DEMOS = (DEMO, STEPS_OUTCOME, STEPS_PROCESS, CHAINS_OUTCOME, CHAINS_PROCESS)  # no model: the CLI runs an embedded demo
RUNS = [p for p in ALL_YAML if p not in ACCELERATE and p not in DEMOS]
REWARD_FIELDS = {"reward_mode", "reward_funcs", "reward_weights", "reward_kwargs", "process_credit"}


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


# ------------------------------------------------------------------------------------------ multi-step demo configs
def test_multistep_configs_differ_only_in_the_reward_fields():
    outcome, process = yaml.safe_load(STEPS_OUTCOME.read_text()), yaml.safe_load(STEPS_PROCESS.read_text())
    differing = {k for k in set(outcome) | set(process) if outcome.get(k) != process.get(k)}
    assert differing and differing <= REWARD_FIELDS, differing
    assert outcome["reward_mode"] == "outcome" and process["reward_mode"] == "process"
    assert set(outcome["reward_funcs"]) == {"accuracy", "format"}
    assert set(process["reward_funcs"]) == {"reference_steps", "accuracy", "format"}


def test_multistep_outcome_config_is_the_task_defaults():
    from grpo_plus.demo.multistep_run import DEFAULT_ARGS, DEFAULT_OUTPUT_DIR

    settings = yaml.safe_load(STEPS_OUTCOME.read_text())
    assert settings == {"demo_task": "multistep", "output_dir": DEFAULT_OUTPUT_DIR, **DEFAULT_ARGS}


@pytest.mark.parametrize("path", [STEPS_OUTCOME, STEPS_PROCESS], ids=lambda p: p.name)
def test_multistep_configs_parse_into_demo_overrides(path):
    from rewards import list_rewards

    training_args, model_args, data_args, explicit = cli.parse_train_args(
        ["--config", str(path), "--seed", "3", "--process_credit", "sum"]
    )
    assert model_args.model_name_or_path is None and data_args.dataset_name is None
    assert data_args.demo_task == "multistep"
    levels = {info.name: info.level for info in list_rewards()}
    step_rewards = [r.__name__ for r in cli.check_rewards(training_args) if levels[r.__name__] == "step"]
    assert bool(step_rewards) == (training_args.reward_mode == "process")
    overrides = cli._demo_overrides(training_args, model_args, data_args, explicit)
    assert overrides["task"] == "multistep" and overrides["seed"] == 3 and overrides["process_credit"] == "sum"
    assert "demo_task" not in overrides and overrides["step_separator"] == "\n"


def test_demo_task_is_validated():
    with pytest.raises(
        ValueError,
        match="demo_task='chess' is not valid; choose one of: 'arithmetic', 'multistep', 'chains', 'chains_moderate', 'chains_middle'",
    ):
        cli.DatasetArguments(demo_task="chess")


@pytest.mark.parametrize("path", [STEPS_OUTCOME, STEPS_PROCESS], ids=lambda p: p.name)
def test_shortened_multistep_run_writes_the_summary(path, tmp_path, monkeypatch, capsys):
    """`grpo-plus train --config FILE` with a few overrides, on a 3-step warm start instead of the real one."""
    import dataclasses
    import json

    from grpo_plus.demo import multistep_run

    monkeypatch.setenv("GRPO_PLUS_CACHE", str(tmp_path / "cache"))
    tiny_warm_start = dataclasses.replace(multistep_run.TASK.warm_start, steps=3)
    tiny = dataclasses.replace(multistep_run.TASK, warm_start=tiny_warm_start)
    monkeypatch.setattr(multistep_run, "TASK", tiny)
    out = tmp_path / "run"
    code = cli.main([
        "train", "--config", str(path), "--seed", "1", "--output_dir", str(out), "--max_steps", "2",
        "--per_device_train_batch_size", "8", "--num_generations", "4", "--max_completion_length", "12",
        "--disable_tqdm", "true",
    ])
    assert code == 0
    summary = json.loads((out / "demo_summary.json").read_text())
    for key in ("eval_accuracy_before", "eval_accuracy_after", "steps_per_completion_before",
                "steps_per_completion_after", "tokens_per_step_before", "tokens_per_step_after"):
        assert isinstance(summary[key], float), key
    assert summary["steps"] == 2 and summary["task"] == "multistep" and summary["wall_time_s"] > 0
    printed = capsys.readouterr().out
    assert "eval accuracy before:" in printed and "eval curve" not in printed


# ------------------------------------------------------------------------------------------ long-chain demo configs
def test_chains_configs_differ_only_in_the_reward_fields():
    outcome, process = yaml.safe_load(CHAINS_OUTCOME.read_text()), yaml.safe_load(CHAINS_PROCESS.read_text())
    differing = {k for k in set(outcome) | set(process) if outcome.get(k) != process.get(k)}
    assert differing == {"reward_mode", "reward_funcs", "process_credit"}, differing
    assert outcome["reward_mode"] == "outcome" and process["reward_mode"] == "process"
    assert outcome["reward_funcs"] == ["accuracy", "format"]
    assert process["reward_funcs"] == ["chain_steps", "accuracy", "format"]
    assert outcome["demo_task"] == process["demo_task"] == "chains"  # both on the sparse regime


def test_chains_outcome_config_is_the_task_defaults():
    from grpo_plus.demo.chains_run import DEFAULT_ARGS, DEFAULT_OUTPUT_DIR

    settings = yaml.safe_load(CHAINS_OUTCOME.read_text())
    assert settings == {"demo_task": "chains", "output_dir": DEFAULT_OUTPUT_DIR, **DEFAULT_ARGS}


@pytest.mark.slow
@pytest.mark.parametrize("path", [CHAINS_OUTCOME, CHAINS_PROCESS], ids=lambda p: p.name)
def test_shortened_chains_run_writes_the_summary(path, tmp_path, monkeypatch, capsys):
    """`grpo-plus train --config FILE`, shortened: a 3-step warm start, 2 steps, 4 held-out chains x 8 samples."""
    import dataclasses
    import json

    from grpo_plus.demo import chains_run

    monkeypatch.setenv("GRPO_PLUS_CACHE", str(tmp_path / "cache"))
    tasks = {name: dataclasses.replace(task, warm_start=dataclasses.replace(task.warm_start, steps=3))
             for name, task in chains_run.TASKS.items()}
    monkeypatch.setattr(chains_run, "TASKS", tasks)
    monkeypatch.setattr(chains_run, "EVAL_PROBLEMS", 4)
    out = tmp_path / "run"
    code = cli.main([
        "train", "--config", str(path), "--seed", "1", "--output_dir", str(out), "--max_steps", "2",
        "--per_device_train_batch_size", "8", "--num_generations", "4", "--max_completion_length", "12",
        "--disable_tqdm", "true",
    ])
    assert code == 0
    summary = json.loads((out / "demo_summary.json").read_text())
    for key in ("eval_sampled_accuracy_before", "eval_sampled_accuracy_after", "eval_sampled_auc",
                "eval_accuracy_before", "eval_accuracy_after", "steps_per_completion_before",
                "steps_per_completion_after", "tokens_per_step_before", "tokens_per_step_after", "wall_time_s",
                "eval_pass_at_8_after", "eval_entropy_after", "eval_kl_to_reference_after", "cpu_s_per_step"):
        assert isinstance(summary[key], float), key
    assert summary["steps"] == 2 and summary["task"] == "chains" and summary["eval_problems"] == 4
    assert [p["step"] for p in summary["eval_curve"]] == [0, 2]
    assert len(summary["slip_rates_after"]) == 6
