"""The grpo-plus CLI: checks that fail before any model loads, dataset shaping, and every subcommand end to end."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grpo_plus import GRPOPlusTrainer, cli
from grpo_plus.demo import TASKS as DEMO_TASKS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_model_load(monkeypatch):
    """Any attempt to build the trainer (which loads the model) is recorded and fails the run."""
    calls = []

    def refuse(self, *args, **kwargs):
        calls.append(args)
        raise AssertionError("GRPOPlusTrainer was built: a model would have been loaded")

    monkeypatch.setattr(GRPOPlusTrainer, "__init__", refuse)
    return calls


@pytest.fixture
def qa_file(tmp_path):
    """A jsonl dataset with GSM8K-style column names."""
    path = tmp_path / "qa.jsonl"
    rows = [{"question": f"What is {a} + 1?", "answer": str(a + 1)} for a in range(6)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_config(tmp_path, name="demo.yaml", **fields):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(fields))
    return str(path)


def base_fields(tmp_path, qa_file, **overrides):
    fields = {
        "model_name_or_path": str(tmp_path / "no-such-model"),
        "dataset_name": str(qa_file),
        "prompt_column": "question",
        "solution_column": "answer",
        "reward_funcs": "accuracy,format",
        "output_dir": str(tmp_path / "out"),
        "report_to": "none",
        "use_cpu": True,
    }
    fields.update(overrides)
    return fields


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------ errors before any model loads
def test_typo_in_config_field_names_the_close_match(tmp_path, qa_file, capsys, no_model_load):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file, kl_estimater="k1"))
    code, _, err = run_cli(capsys, "train", "--config", path)
    assert code == 2
    assert f"unknown field 'kl_estimater' in {path}; did you mean 'kl_estimator'?" in err
    assert no_model_load == []


def test_config_field_without_close_match(tmp_path, qa_file, capsys, no_model_load):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file, zzqx=1))
    code, _, err = run_cli(capsys, "train", "--config", path)
    assert code == 2
    assert f"unknown field 'zzqx' in {path} (see `grpo-plus train --help`" in err


def test_typo_in_command_line_flag_names_the_close_match(tmp_path, qa_file, capsys, no_model_load):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file))
    code, _, err = run_cli(capsys, "train", "--config", path, "--kl_estimater", "k1")
    assert code == 2
    assert "unknown option '--kl_estimater'; did you mean '--kl_estimator'?" in err
    assert no_model_load == []


def test_unknown_reward_names_the_close_match(tmp_path, qa_file, capsys, no_model_load):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file, reward_funcs="accurcy,format"))
    code, _, err = run_cli(capsys, "train", "--config", path)
    assert code == 2
    assert "unknown reward 'accurcy'; did you mean 'accuracy'?" in err
    assert no_model_load == []


def test_invalid_value_is_reported_without_traceback(tmp_path, qa_file, capsys, no_model_load):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file, kl_estimator="k4"))
    code, _, err = run_cli(capsys, "train", "--config", path)
    assert code == 2
    assert "kl_estimator='k4' is not valid; choose one of: 'k1', 'k2', 'k3', 'k1+', 'k3+'" in err
    assert "Traceback" not in err


def test_invalid_choice_on_the_command_line_is_one_error_line(tmp_path, qa_file, capsys, no_model_load):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file))
    code, _, err = run_cli(capsys, "train", "--config", path, "--kl_estimator", "k4")
    assert code == 2
    assert err.splitlines() == [
        "grpo-plus train: error: argument --kl_estimator/--kl-estimator: invalid choice: 'k4' "
        "(choose from 'k1', 'k2', 'k3', 'k1+', 'k3+')"
    ]


def test_missing_reward_funcs(tmp_path, qa_file, capsys, no_model_load):
    fields = base_fields(tmp_path, qa_file)
    del fields["reward_funcs"]
    code, _, err = run_cli(capsys, "train", "--config", write_config(tmp_path, **fields))
    assert code == 2
    assert "reward_funcs is not set" in err


def test_missing_column_lists_the_dataset_columns(tmp_path, qa_file, capsys, no_model_load):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file, prompt_column="problem"))
    code, _, err = run_cli(capsys, "train", "--config", path)
    assert code == 2
    assert (
        f"dataset {qa_file} has no column 'problem' (prompt_column); its columns are ['question', 'answer']; "
        "set prompt_column to one of them"
    ) in err
    assert no_model_load == []


def test_missing_solution_column_suggests_null(tmp_path, qa_file, capsys, no_model_load):
    fields = base_fields(tmp_path, qa_file)
    del fields["solution_column"]  # default 'solution' is not in the file
    code, _, err = run_cli(capsys, "train", "--config", write_config(tmp_path, **fields))
    assert code == 2
    assert "has no column 'solution' (solution_column)" in err
    assert "or null if your rewards need no reference answer" in err


# ------------------------------------------------------------------------------------------------------ parsing
def test_command_line_overrides_the_config_file(tmp_path, qa_file):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file, max_steps=7, kl_estimator="k1", lora_r=8))
    training_args, model_args, data_args, explicit = cli.parse_train_args(
        ["--config", path, "--max_steps", "3", "--lora_r=4"]
    )
    assert training_args.max_steps == 3
    assert training_args.kl_estimator == "k1"
    assert model_args.lora_r == 4
    assert data_args.prompt_column == "question"
    assert {"max_steps", "kl_estimator", "lora_r", "prompt_column"} <= explicit


@pytest.mark.parametrize(
    "flags",
    [
        ["--reward_funcs", "accuracy,format"],
        ["--reward_funcs=accuracy,format"],
        ["--reward_funcs", "accuracy", "format"],
        ["--reward_funcs", "accuracy,", "format"],
    ],
)
def test_reward_funcs_and_reward_kwargs_on_the_command_line(tmp_path, flags):
    training_args, _, _, _ = cli.parse_train_args(
        ["--output_dir", str(tmp_path), "--use_cpu", *flags, "--reward_kwargs", '{"accuracy": {"timeout": 3}}']
    )
    assert training_args.reward_funcs == ["accuracy", "format"]
    assert training_args.reward_kwargs == {"accuracy": {"timeout": 3}}


def test_reward_funcs_comma_string_in_yaml(tmp_path, qa_file):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file, reward_kwargs={"format": {"strict": False}}))
    training_args, _, _, _ = cli.parse_train_args(["--config", path])
    assert training_args.reward_funcs == ["accuracy", "format"]
    assert [f.__name__ for f in cli.check_rewards(training_args)] == ["accuracy", "format"]


# ------------------------------------------------------------------------------------------- rewards list, demo
def test_rewards_list_table(capsys):
    from rewards import list_rewards

    code, out, _ = run_cli(capsys, "rewards", "list")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "LEVEL", "DESCRIPTION"]
    infos = list_rewards()
    assert len(lines) == 1 + len(infos)
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["accuracy"].split()[1] == "outcome"
    assert rows["arithmetic_steps"].split()[1] == "step"
    assert rows["prm"].split()[1] == "step"
    for info in infos:
        assert rows[info.name].endswith(info.description)


def test_no_arguments_runs_the_demo(monkeypatch, capsys):
    calls = []

    def fake_demo(**overrides):
        calls.append(overrides)
        return {
            "accuracy_before": 0.3125, "accuracy_after": 0.8, "accuracy_gain": 0.4875, "format_before": 0.9,
            "format_after": 1.0, "steps": 200, "wall_time_s": 150.2, "warm_start": "/cache/demo-1",
            "output_dir": "grpo-plus-demo", "curves": "grpo-plus-demo/grpo_metrics",
        }

    monkeypatch.setattr(cli, "run_demo", fake_demo)
    code, out, _ = run_cli(capsys, "train")
    assert code == 0
    assert calls == [{}]
    assert out.splitlines() == [
        "accuracy reward: 0.312 (first 10% of steps) -> 0.800 (last 10%)",
        "format reward: 0.900 (first 10% of steps) -> 1.000 (last 10%)",
        "steps: 200",
        "wall time (s): 150.2",
        "model saved to: grpo-plus-demo",
        "curves: grpo-plus-demo/grpo_metrics",
        "warm start: /cache/demo-1",
    ]


def test_config_without_model_runs_the_demo_with_overrides(monkeypatch, capsys, tmp_path):
    calls = []
    monkeypatch.setattr(cli, "run_demo", lambda **kw: calls.append(kw) or {"steps": kw.get("max_steps")})
    path = write_config(tmp_path, kl_estimator="k1", max_steps=30, use_cpu=True)
    code, out, _ = run_cli(capsys, "train", "--config", path, "--max_steps", "4")
    assert code == 0
    assert calls == [{"kl_estimator": "k1", "max_steps": 4, "use_cpu": True}]
    code, _, err = run_cli(capsys, "train", "--config", path, "--use_peft")
    assert code == 2
    assert "model/dataset fields: ['use_peft']" in err


@pytest.mark.slow
def test_demo_config_runs_the_real_demo(tmp_path, capsys):
    demo_yaml = REPO / "configs" / "demo.yaml"
    out_dir = tmp_path / "demo"
    code, out, _ = run_cli(
        capsys, "train", "--config", str(demo_yaml), "--max_steps", "2", "--output_dir", str(out_dir),
        "--disable_tqdm", "true",
    )
    assert code == 0
    assert any(line.startswith("accuracy reward: ") for line in out.splitlines())
    assert "steps: 2" in out and f"curves: {out_dir / 'grpo_metrics'}" in out
    assert json.loads((out_dir / "demo_summary.json").read_text())["steps"] == 2
    assert (out_dir / "grpo_metrics" / "overview.png").is_file()


# -------------------------------------------------------------------------------------------- end to end (tiny)
def tiny_fields(tmp_path, model_dir, qa_file, **overrides):
    fields = {
        "model_name_or_path": model_dir,
        "dataset_name": str(qa_file),
        "prompt_column": "question",
        "solution_column": "answer",
        "system_prompt": "Answer with a number.",
        "reward_funcs": "accuracy,format",
        "reward_kwargs": {"accuracy": {"num_workers": 1}},
        "output_dir": str(tmp_path / "out"),
        "max_steps": 50,
        "per_device_train_batch_size": 4,
        "num_generations": 4,
        "max_completion_length": 8,
        "learning_rate": 1.0e-3,
        "beta": 0.04,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "bf16": False,
        "activation_checkpointing": False,
        "disable_tqdm": True,
        "seed": 0,
    }
    fields.update(overrides)
    return fields


@pytest.mark.slow
def test_train_then_plot(tmp_path, tiny_model_dir, qa_file, capsys):
    path = write_config(tmp_path, "tiny.yaml", **tiny_fields(tmp_path, tiny_model_dir, qa_file))
    code, out, _ = run_cli(capsys, "train", "--config", path, "--max_steps", "2")
    assert code == 0
    run = tmp_path / "out"
    state = json.loads((run / "trainer_state.json").read_text())
    assert state["global_step"] == 2  # the flag beat the file's max_steps: 50
    logged = [e for e in state["log_history"] if "reward" in e]
    assert len(logged) == 2 and all("rewards/accuracy/mean" in e and "kl/k3" in e for e in logged)
    assert (run / "model.safetensors").is_file()
    assert "steps: 2" in out and f"model saved to: {run}" in out
    curves = run / "grpo_metrics"
    first = {p.name: p.stat().st_size for p in curves.glob("*.png")}
    assert {"overview.png", "reward.png", "rewards.png", "kl.png", "entropy.png", "completion_length.png"} <= set(first)
    assert min(first.values()) > 8000
    for png in curves.glob("*.png"):
        png.unlink()
    code, out, _ = run_cli(capsys, "plot", str(run))
    assert code == 0
    assert out.splitlines()[0] == str(curves / "overview.png")
    assert {p.name for p in curves.glob("*.png")} == set(first)


@pytest.mark.slow
def test_qlora_through_the_cli(tmp_path, tiny_model_dir, qa_file, capsys, monkeypatch):
    import bitsandbytes as bnb
    from peft import PeftModel

    built = []
    original_init = GRPOPlusTrainer.__init__

    def spy(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        built.append(self.model)

    monkeypatch.setattr(GRPOPlusTrainer, "__init__", spy)
    fields = tiny_fields(tmp_path, tiny_model_dir, qa_file, max_steps=1, reward_funcs="format", reward_kwargs=None)
    path = write_config(tmp_path, "qlora.yaml", **fields)
    code, _, _ = run_cli(
        capsys, "train", "--config", path, "--load_in_4bit", "--use_bnb_nested_quant", "--use_peft",
        "--lora_r", "4", "--lora_alpha", "8", "--lora_target_modules", "all-linear",
    )
    assert code == 0
    model = built[0]
    assert isinstance(model, PeftModel)
    quantized = [n for n, m in model.named_modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert len(quantized) == 2 * 7  # 2 layers x (q, k, v, o, gate, up, down)
    weight = next(m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)).weight
    assert weight.quant_state.quant_type == "nf4" and weight.quant_state.nested
    adapter = json.loads((tmp_path / "out" / "adapter_config.json").read_text())
    assert adapter["r"] == 4 and adapter["lora_alpha"] == 8
    assert (tmp_path / "out" / "grpo_metrics" / "overview.png").is_file()


@pytest.mark.slow
def test_accelerate_launch_module(tmp_path, tiny_model_dir, qa_file):
    fields = tiny_fields(tmp_path, tiny_model_dir, qa_file, max_steps=1, reward_funcs="format", reward_kwargs=None)
    path = write_config(tmp_path, "tiny.yaml", **fields)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    accelerate = Path(sys.executable).with_name("accelerate")  # the launcher of this interpreter
    launcher = [str(accelerate) if accelerate.exists() else "accelerate", "launch", "--num_processes", "1", "--cpu"]
    result = subprocess.run(
        [*launcher, "-m", "grpo_plus.cli", "train", "--config", path],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "steps: 1" in result.stdout
    assert (tmp_path / "out" / "model.safetensors").is_file()
    assert (tmp_path / "out" / "grpo_metrics" / "overview.png").is_file()


# ------------------------------------------------------------------------------------- LLaMA-Factory-style configs
def test_llamafactory_config_errors_before_any_model_loads(tmp_path, capsys, no_model_load):
    fields = {"model_name_or_path": str(tmp_path / "no-such-model"), "stage": "dpo", "pref_beta": 0.1,
              "dataset": "my_data", "reward_funcs": "accuracy", "output_dir": str(tmp_path / "out")}
    code, _, err = run_cli(capsys, "train", "--config", write_config(tmp_path, "lf.yaml", **fields))
    assert code == 2
    assert "stage='dpo' is not supported: grpo-plus trains GRPO only" in err and "choose one of: 'grpo'" in err
    assert "Traceback" not in err and no_model_load == []


# ---------------------------------------------------------------------------- one way to fail, on every path
@pytest.fixture
def no_demo_run(monkeypatch):
    """Any attempt to start the demo (which loads or trains the warm start) fails the test."""

    def refuse(**overrides):
        raise AssertionError(f"the demo started with {overrides}")

    monkeypatch.setattr(cli, "run_demo", refuse)


def one_error_line(capsys, *argv) -> str:
    """Run ``grpo-plus train *argv``; assert exit status 2 and a single error line on stderr; return its message."""
    code, out, err = run_cli(capsys, "train", *argv)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("grpo-plus train: error: "), err
    return lines[0].removeprefix("grpo-plus train: error: ")


def test_reward_funcs_on_the_arithmetic_demo_is_an_error(capsys, no_demo_run):
    message = one_error_line(capsys, "--reward_funcs", "acuracy")
    assert message.startswith(
        "reward_funcs: demo_task 'arithmetic' trains with its own rewards (accuracy, format) and takes no "
        "reward_funcs; remove it, or choose a demo_task that does: "
    )
    assert "'multistep'" in message and "'arithmetic'" not in message.partition("does: ")[2]


def test_reward_kwargs_on_the_arithmetic_demo_is_an_error(capsys, no_demo_run):
    message = one_error_line(capsys, "--reward_kwargs", '{"accuracy": {"timeout": 3}}')
    assert message.startswith("reward_kwargs: demo_task 'arithmetic' trains with its own rewards")


def test_unknown_reward_in_a_demo_config_is_one_line(capsys, no_demo_run):
    config = str(REPO / "configs" / "demo_steps_outcome.yaml")
    message = one_error_line(capsys, "--config", config, "--reward_funcs", "acuracy,format")
    assert message.startswith("unknown reward 'acuracy'; did you mean 'accuracy'? valid names: ")


def test_unknown_reward_in_a_demo_config_file_is_one_line(tmp_path, capsys, no_demo_run):
    settings = yaml.safe_load((REPO / "configs" / "demo_steps_outcome.yaml").read_text())
    path = write_config(tmp_path, **{**settings, "reward_funcs": ["acuracy", "format"]})
    message = one_error_line(capsys, "--config", path)
    assert message.startswith("unknown reward 'acuracy'; did you mean 'accuracy'?")


def test_process_mode_without_step_rewards_on_a_demo_is_caught_before_the_warm_start(capsys, no_demo_run):
    message = one_error_line(capsys, "--reward_mode", "process")
    assert message.startswith("reward_mode='process' needs at least one step-level reward; got only outcome rewards")


def test_demo_batch_that_does_not_fit_the_group_size_is_one_line(capsys, no_demo_run):
    # the arithmetic demo's 64 completions per step are not a whole number of groups of 7
    message = one_error_line(capsys, "--num_generations", "7")
    assert "num_generations" in message and "7" in message


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--demo_task", "chess"], f"invalid choice: 'chess' (choose from {', '.join(map(repr, DEMO_TASKS))})"),
        (["--kl_estimater", "k1"], "unknown option '--kl_estimater'; did you mean '--kl_estimator'?"),
        (["--max_steps", "many"], "argument --max_steps/--max-steps: invalid int value: 'many'"),
        (["--lora_r", "8"], "these are model/dataset fields: ['lora_r']"),
        (["steps"], "unexpected argument 'steps': options are written --field value"),
        (["--config"], "--config needs one path to a YAML file"),
    ],
)
def test_demo_configuration_errors_are_one_line(capsys, no_demo_run, argv, message):
    assert message in one_error_line(capsys, *argv)


def test_model_config_errors_are_one_line_without_the_translation_log(tmp_path, qa_file, capsys, no_model_load):
    path = write_config(tmp_path, **base_fields(tmp_path, qa_file, reward_funcs="acuracy"))
    message = one_error_line(capsys, "--config", path)
    assert message.startswith("unknown reward 'acuracy'; did you mean 'accuracy'?")


def test_llamafactory_error_is_the_only_line_in_a_real_process(tmp_path):
    """The console script itself: no traceback, no translation log before the error, exit status 2."""
    path = write_config(tmp_path, "lf.yaml", model_name_or_path="m", stage="grpo", reward_funcs="format",
                        output_dir=str(tmp_path / "o"), pref_beta=0.04, warmup_ratio=1.5)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "grpo_plus.cli", "train", "--config", path],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "grpo-plus train: error: warmup_ratio=1.5 is not valid; it is a fraction of the training steps in [0, 1)"
    ]


# ------------------------------------------------------------------------------------------------ a clean first run
def test_no_deprecation_warning_unless_the_user_wrote_the_old_name(tmp_path):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        training_args, _, _, _ = cli.parse_train_args(["--output_dir", str(tmp_path)])
    assert [str(w.message) for w in caught if "deprecated" in str(w.message)] == []
    assert training_args.activation_checkpointing is True  # TRL's default (gradient_checkpointing=True), new name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        training_args, _, _, _ = cli.parse_train_args(["--output_dir", str(tmp_path), "--gradient_checkpointing",
                                                       "false"])
    assert training_args.activation_checkpointing is False
    assert any("`gradient_checkpointing` is deprecated" in str(w.message) for w in caught)


@pytest.mark.slow
def test_demo_output_is_the_progress_bar_and_the_summary(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "grpo_plus.cli", "train", "--max_steps", "2", "--output_dir", str(tmp_path / "demo")],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[0].startswith("accuracy reward: ")
    bar = re.compile(r"^(warm start \(SFT\): *)?\d+%\|")  # tqdm: the warm start's (first run) and GRPO's
    others = [line for chunk in result.stderr.splitlines() for line in chunk.split("\r")
              if line.strip() and not bar.match(line.strip()) and "grpo_plus.demo.warmstart" not in line]
    assert others == []


def test_held_log_lines_reach_every_handler_once_when_the_configuration_is_valid(tmp_path, qa_file, monkeypatch):
    import logging

    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    handler = Collect(logging.INFO)
    logging.getLogger("grpo_plus").addHandler(handler)
    monkeypatch.setattr(logging.getLogger("grpo_plus"), "level", logging.INFO)
    monkeypatch.setattr(cli, "run_training", lambda *args: {"steps": 0})
    try:
        path = write_config(tmp_path, "lf.yaml", model_name_or_path="m", stage="grpo", reward_funcs="format",
                            output_dir=str(tmp_path / "o"), pref_beta=0.04)
        assert cli.main(["train", "--config", path]) == 0
    finally:
        logging.getLogger("grpo_plus").removeHandler(handler)
    assert sum(m.startswith("pref_beta=0.04 -> beta=0.04") for m in seen) == 1
