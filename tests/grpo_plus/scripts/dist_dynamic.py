"""Launched by tests/grpo_plus/test_distributed.py with one process or two gloo processes: dynamic sampling on a
reward that is constant for half the prompts. Completions depend on the number of processes (each rank samples its
own), the kept groups must not: rank 0 writes, per step, the prompts of the trained global batch and the round counts.

Usage: dist_dynamic.py MODEL_DIR OUT_DIR
"""

import json
import logging
import os
import sys
from pathlib import Path

from accelerate.utils import gather_object
from datasets import Dataset

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer


def reward(completions, kind, **kwargs):
    return [1.0 if k == "const" else float(len(c)) for c, k in zip(completions, kind)]


class KeptPrompts(GRPOPlusTrainer):
    """Records the prompts of every trained generation batch (gathered over the processes, in global order)."""

    kept: list

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        prompts = self.processing_class.batch_decode(output["prompt_ids"], skip_special_tokens=True)
        self.kept.append(gather_object(prompts))
        return output


def main(model_dir: str, out_dir: str) -> None:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rows = [
        {"prompt": f"Compute {a} + {b}. ", "kind": "const" if (a + b) % 2 == 0 else "vary"} for a in range(4) for b in range(4)
    ]
    args = GRPOPlusConfig(
        output_dir=str(Path(out_dir) / "run"),
        use_cpu=True,
        bf16=False,
        per_device_train_batch_size=16 // world,  # 4 groups of 4 per step; groups 1 and 3 span both ranks
        num_generations=4,
        max_completion_length=8,
        max_steps=3,
        learning_rate=1e-3,
        beta=0.0,
        dynamic_sampling=True,
        max_resample_rounds=3,
        save_strategy="no",
        report_to="none",
        logging_steps=1,
        disable_tqdm=True,
        seed=0,
    )
    trainer = KeptPrompts(model=model_dir, reward_funcs=reward, args=args, train_dataset=Dataset.from_list(rows))
    trainer.kept = []
    trainer.train()
    logs = [
        {k: v for k, v in h.items() if k.startswith("dynamic_sampling/")}
        for h in trainer.state.log_history
        if "dynamic_sampling/rounds" in h
    ]
    if trainer.accelerator.is_main_process:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        result = {"kept": trainer.kept, "logs": logs, "steps": trainer.state.global_step, "world": world}
        (Path(out_dir) / "dynamic.json").write_text(json.dumps(result))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main(sys.argv[1], sys.argv[2])
