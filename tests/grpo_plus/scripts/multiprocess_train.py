"""Launched by tests/grpo_plus/test_multiprocess.py with `accelerate launch --multi_gpu --num_processes 2` (two gloo
CPU processes): trains a few GRPO steps in full precision, then a few QLoRA steps in 4-bit, and writes what each rank
saw to OUT_DIR/<run>_rank<k>.json.

Usage: multiprocess_train.py MODEL_DIR OUT_DIR
"""

import hashlib
import json
import logging
import sys
from pathlib import Path

import bitsandbytes as bnb
import torch
from datasets import Dataset

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.qlora import qlora_setup

logger = logging.getLogger(__name__)


SEEN_PROMPTS: list[str] = []


def length_reward(completions, prompts, **kwargs):
    SEEN_PROMPTS.extend(prompts)
    return [float(len(c)) / 10 for c in completions]


def digest(tensors) -> str:
    sha = hashlib.sha256()
    for tensor in tensors:
        sha.update(tensor.detach().float().cpu().numpy().tobytes())
    return sha.hexdigest()


def train(model_dir: str, out_dir: Path, run: str) -> None:
    args = GRPOPlusConfig(
        output_dir=str(out_dir / run),
        use_cpu=True,
        bf16=False,
        per_device_train_batch_size=4,  # 2 processes x 4 = one global batch of 2 prompts x 4 generations
        num_generations=4,
        max_completion_length=8,
        max_steps=2,
        learning_rate=1e-2,
        beta=0.04,
        save_strategy="no",
        report_to="none",
        logging_steps=1,
        disable_tqdm=True,
        seed=0,
    )
    dataset = Dataset.from_list([{"prompt": f"What is {a} + {b}? "} for a in range(4) for b in range(4)])
    SEEN_PROMPTS.clear()
    extra = qlora_setup(args, r=8, compute_dtype="float32") if run == "qlora" else {}
    trainer = GRPOPlusTrainer(model_dir, reward_funcs=[length_reward], args=args, train_dataset=dataset, **extra)
    trainer.train()
    model = trainer.accelerator.unwrap_model(trainer.model)
    trainable = [p for _, p in sorted(model.named_parameters()) if p.requires_grad]
    report = {
        "rank": trainer.accelerator.process_index,
        "world_size": trainer.accelerator.num_processes,
        "distributed_type": str(trainer.accelerator.distributed_type),
        "global_step": trainer.state.global_step,
        "losses": [h["loss"] for h in trainer.state.log_history if "loss" in h],
        "trainable": len(trainable),
        "trainable_digest": digest(trainable),
        "linear4bit": sum(isinstance(m, bnb.nn.Linear4bit) for m in model.modules()),
        "prompts": SEEN_PROMPTS,
    }
    (out_dir / f"{run}_rank{report['rank']}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    for name in ("full", "qlora"):
        train(sys.argv[1], Path(sys.argv[2]), name)
