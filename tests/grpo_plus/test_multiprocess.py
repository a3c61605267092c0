"""Two processes on the CPU (`accelerate launch --multi_gpu --num_processes 2`, gloo), full precision and QLoRA."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grpo_plus.demo.tiny import save_tiny_model

SCRIPT = Path(__file__).parent / "scripts" / "multiprocess_train.py"


@pytest.mark.slow
def test_two_processes_train_full_and_qlora(tmp_path, bpe_tokenizer):
    model_dir = save_tiny_model(tmp_path / "model", tokenizer=bpe_tokenizer, hidden_size=128, intermediate_size=256)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "29631",
        str(SCRIPT), model_dir, str(tmp_path / "out"),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    for run, quantised in (("full", 0), ("qlora", 2 * 7)):
        ranks = [json.loads((tmp_path / "out" / f"{run}_rank{k}.json").read_text()) for k in range(2)]
        for k, report in enumerate(ranks):
            assert report["rank"] == k and report["world_size"] == 2, report
            assert report["distributed_type"] == "DistributedType.MULTI_CPU"
            assert report["global_step"] == 2 and len(report["losses"]) == 2  # training finished on both ranks
            assert report["linear4bit"] == quantised
        # DDP averaged the gradients: both ranks hold the same trained weights (2 LoRA matrices per linear in QLoRA)
        assert ranks[0]["trainable_digest"] == ranks[1]["trainable_digest"]
        assert ranks[0]["trainable"] == (2 * quantised if quantised else ranks[1]["trainable"])
        # each rank scored its own half of every global batch: 2 steps x 4 completions, different prompts
        assert len(ranks[0]["prompts"]) == len(ranks[1]["prompts"]) == 8
        assert ranks[0]["prompts"] != ranks[1]["prompts"]
