"""The issue's LLaMA-Factory config, run as written by ``grpo-plus train`` on the CPU: only the model is replaced by the
tiny offline one. Its ``dataset: my_math_data`` is a local Alpaca file registered in ``data/dataset_info.json``
(LLaMA-Factory's default dataset_dir, relative to the working directory), and the command line adds ``--max_steps 2``
plus ``--max_new_tokens 8`` (the tiny model has 512 positions; the config's cutoff_len would give 1024-token
completions). Three runs: LoRA on Alpaca data, QLoRA (``quantization_bit: 4``), and the same data in ShareGPT form."""

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from grpo_plus import GRPOPlusTrainer, cli
from tests.grpo_plus.dialects.test_llamafactory import ISSUE_CONFIG

pytestmark = pytest.mark.slow

# 8 prompts: with 4 prompts per optimizer step (1 per device step × 4 accumulation steps) two steps are one epoch
QUESTIONS = [(3, 5), (2, 7), (4, 4), (6, 1), (5, 5), (8, 2), (7, 3), (9, 0)]
ALPACA = [{"instruction": f"计算 ({a} + {b}) × 2 = ?", "input": "", "output": str((a + b) * 2)} for a, b in QUESTIONS]
SHAREGPT = [
    {"conversations": [{"from": "human", "value": r["instruction"]}, {"from": "gpt", "value": r["output"]}]}
    for r in ALPACA
]
OUTPUT_DIR = Path(ISSUE_CONFIG["output_dir"])
CURVES = {"overview.png", "reward.png", "rewards.png", "kl.png", "entropy.png", "completion_length.png"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("llamafactory")
    data = root / "data"
    data.mkdir()
    (data / "my_math.json").write_text(json.dumps(ALPACA, ensure_ascii=False), encoding="utf-8")
    (data / "my_math_sharegpt.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in SHAREGPT), encoding="utf-8"
    )
    info = {
        "my_math_data": {"file_name": "my_math.json"},
        "my_math_data_sharegpt": {"file_name": "my_math_sharegpt.jsonl", "formatting": "sharegpt"},
    }
    (data / "dataset_info.json").write_text(json.dumps(info))
    return root


def train(root: Path, model_dir: str, name: str, **changes) -> SimpleNamespace:
    """Run ``grpo-plus train --config <the issue config> --max_steps 2 ...`` in ``root/name`` (cwd)."""
    run_dir = root / name
    run_dir.mkdir()
    (run_dir / "data").symlink_to(root / "data", target_is_directory=True)
    config = {**ISSUE_CONFIG, "model_name_or_path": model_dir, **changes}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    built = {}
    original_init = GRPOPlusTrainer.__init__

    def spy(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        built.update(kwargs, model=self.model, processing_class=self.processing_class)

    handler = _Capture()
    logging.getLogger("grpo_plus").addHandler(handler)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(run_dir)
        patch.setattr(GRPOPlusTrainer, "__init__", spy)
        patch.setattr(cli, "_setup_logging", lambda: logging.getLogger("grpo_plus").setLevel(logging.INFO))
        code = cli.main([
            "train", "--config", "config.yaml", "--max_steps", "2", "--max_new_tokens", "8", "--logging_steps", "1",
            "--reward_kwargs", '{"accuracy": {"num_workers": 1}}',
        ])
    logging.getLogger("grpo_plus").removeHandler(handler)
    out = run_dir / OUTPUT_DIR
    return SimpleNamespace(
        code=code,
        out=out,
        state=json.loads((out / "trainer_state.json").read_text()),
        built=built,
        logs=handler.messages,
    )


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append((record.levelno, record.getMessage()))


@pytest.fixture(scope="module")
def lora_run(workdir, tiny_model_dir):
    return train(workdir, tiny_model_dir, "lora")


@pytest.fixture(scope="module")
def qlora_run(workdir, tiny_model_dir):
    return train(workdir, tiny_model_dir, "qlora", quantization_bit=4)


@pytest.fixture(scope="module")
def sharegpt_run(workdir, tiny_model_dir):
    return train(workdir, tiny_model_dir, "sharegpt", dataset="my_math_data_sharegpt")


def assert_trained_with_curves(run):
    assert run.code == 0
    assert run.state["global_step"] == 2
    assert run.state["epoch"] == 1.0  # 8 prompts, 4 per optimizer step
    logged = [e for e in run.state["log_history"] if "reward" in e]
    assert len(logged) == 2 and all("reward_std" in e and "rewards/accuracy/mean" in e for e in logged)
    curves = {p.name for p in (run.out / "grpo_metrics").glob("*.png")}
    assert CURVES <= curves


def test_alpaca_config_trains_and_writes_curves(lora_run):
    assert_trained_with_curves(lora_run)
    adapter = json.loads((lora_run.out / "adapter_config.json").read_text())
    assert (adapter["r"], adapter["lora_alpha"], adapter["lora_dropout"]) == (64, 128, 0.0)
    linear = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert {name.split(".")[-1] for name in adapter["target_modules"]} == linear  # every linear layer, no lm_head


def test_batches_count_prompts(lora_run):
    args = lora_run.built["args"]
    assert (args.per_device_train_batch_size, args.num_generations, args.gradient_accumulation_steps) == (8, 8, 4)
    assert args.generation_batch_size == 32 and args.beta == 0.04 and args.max_completion_length == 8


def test_alpaca_rows_become_prompts_and_solutions(lora_run):
    dataset = lora_run.built["train_dataset"]
    assert dataset["prompt"] == [[{"role": "user", "content": r["instruction"]}] for r in ALPACA]
    assert dataset["solution"] == ["16", "18", "16", "14", "20", "20", "20", "18"]


def test_conversions_and_the_bf16_fallback_are_logged_once(lora_run):
    infos = [m for level, m in lora_run.logs if level == logging.INFO]
    for line in ("pref_beta=0.04 -> beta=0.04", "lora_rank=64 -> lora_r=64",
                 "lora_target='all' -> lora_target_modules='all-linear'", "dataset='my_math_data' -> dataset_name=",
                 "cutoff_len=4096 -> max_prompt_length=4088", "max_new_tokens=8 -> max_completion_length=8",
                 "per_device_train_batch_size=1 -> per_device_train_batch_size=8"):
        assert sum(m.startswith(line) for m in infos) == 1, line
    fallbacks = [m for level, m in lora_run.logs if level == logging.WARNING and "no GPU" in m]
    assert len(fallbacks) == 1 and lora_run.built["args"].bf16 is False


def test_qlora_config_trains_in_4bit(qlora_run):
    import bitsandbytes as bnb
    from peft import PeftModel

    assert_trained_with_curves(qlora_run)
    model = qlora_run.built["model"]
    assert isinstance(model, PeftModel)
    quantized = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert len(quantized) == 2 * 7  # 2 layers × (q, k, v, o, gate, up, down)
    state = quantized[0].weight.quant_state
    assert state.quant_type == "nf4" and state.nested  # LLaMA-Factory's defaults: nf4, double quantisation
    assert (qlora_run.out / "adapter_config.json").is_file()


def test_sharegpt_data_trains_on_the_same_prompts(sharegpt_run, lora_run):
    assert_trained_with_curves(sharegpt_run)
    ours, theirs = sharegpt_run.built["train_dataset"], lora_run.built["train_dataset"]
    assert ours["prompt"] == theirs["prompt"] and ours["solution"] == theirs["solution"]
