"""The examples run offline on the tiny model (--tiny), each in its own process, as a user would start them."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name, *args):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--tiny", *args],
        cwd=EXAMPLES.parent, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def logged_keys(output_dir):
    state = json.loads((output_dir / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    return {key for entry in state["log_history"] for key in entry}


def test_train_grpo_is_short():
    assert len((EXAMPLES / "train_grpo.py").read_text().splitlines()) <= 100


@pytest.mark.slow
def test_train_grpo(tmp_path):
    result = run_example("train_grpo.py", "--output_dir", str(tmp_path / "out"))
    assert {"rewards/accuracy/mean", "rewards/format/mean", "kl"} <= logged_keys(tmp_path / "out")
    assert (tmp_path / "out" / "model.safetensors").is_file()
    assert (tmp_path / "out" / "grpo_metrics" / "overview.png").is_file()
    assert "done: 2 steps" in result.stderr


@pytest.mark.slow
def test_custom_reward(tmp_path):
    run_example("custom_reward.py", "--output_dir", str(tmp_path / "out"))
    assert {"rewards/concise/mean", "rewards/accuracy/mean"} <= logged_keys(tmp_path / "out")


@pytest.mark.slow
def test_process_reward_with_a_prm_checkpoint(tmp_path, tiny_model_dir):
    # The tiny random causal LM stands in for a PRM checkpoint; its step tag must be one token of its vocabulary.
    run_example(
        "process_reward.py", "--output_dir", str(tmp_path / "out"),
        "--prm_model", tiny_model_dir, "--prm_step_tag", "<|im_start|>",
    )
    keys = logged_keys(tmp_path / "out")
    assert {"rewards/prm/mean", "steps/per_completion", "advantages/mean", "rewards/accuracy/mean"} <= keys
    assert (tmp_path / "out" / "grpo_metrics" / "steps.png").is_file()


@pytest.mark.slow
def test_agent_process_reward(tmp_path):
    # Multi-turn tool rollouts in process mode: the assistant turns are the steps, CalculatorEnv.get_turn_rewards
    # grades them, correct_answer is the outcome reward.
    result = run_example("agent_process_reward.py", "--output_dir", str(tmp_path / "out"), "--max_steps", "2")
    keys = logged_keys(tmp_path / "out")
    assert {"steps/per_completion", "rewards/CalculatorEnv.turns/mean", "rewards/correct_answer/mean"} <= keys
    assert {"tools/call_frequency", "tools/failure_frequency", "advantages/mean"} <= keys
    assert (tmp_path / "out" / "grpo_metrics" / "steps.png").is_file()
    assert "done: 2 steps in process mode" in result.stderr


def test_calculator_env_turn_rewards():
    spec = importlib.util.spec_from_file_location("examples_agent", EXAMPLES / "agent_process_reward.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    env = module.CalculatorEnv()
    env.reset(a=3, b=4)
    assert env.get_turn_rewards() == [0.0]  # answered without calling the tool
    assert env.add(4, 3) == 7 and env.add(4, 3) == 7 and env.add(3, 5) == 8
    # useful (the task's numbers, either order), a repeat (not useful), wrong numbers, then the ungraded answer turn
    assert env.get_turn_rewards() == [1.0, 0.0, 0.0, None]
    completions = [
        [{"role": "assistant", "content": "", "tool_calls": [{}]}, {"role": "tool", "content": "7"},
         {"role": "assistant", "content": "The answer is 7."}],
        [{"role": "assistant", "content": "It is 8."}],
    ]
    assert module.correct_answer(completions, answer=[7, 7]) == [1.0, 0.0]


def test_concise_reward_values(monkeypatch):
    import rewards

    # Load the module without registering "concise" in this test process (other tests list the registry).
    monkeypatch.setattr(rewards, "register_reward", lambda name, **kwargs: lambda func: func)
    spec = importlib.util.spec_from_file_location("examples_custom_reward", EXAMPLES / "custom_reward.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # max_chars=20: 1 up to 20 characters, then 1 - (len - 20) / 20, floored at 0
    assert module.concise(["abc", "x" * 30, "x" * 45], max_chars=20) == [1.0, 0.5, 0.0]
    assert module.concise([[{"role": "assistant", "content": "y" * 25}]], max_chars=20) == [0.75]
