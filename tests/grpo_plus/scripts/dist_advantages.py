"""Launched by tests/grpo_plus/test_distributed.py, with one process or with `accelerate launch --multi_gpu
--num_processes 2` (gloo on the CPU). Completions are fixed per global row, so the global batch is the same whatever
the number of processes; each rank writes its advantages (global rows) to OUT/rank<k>.json, then trains a few steps.

Usage: dist_advantages.py MODEL_DIR OUT_DIR MODE[,MODE...]   (MODE: outcome | outcome_kl | process | process_kl);
each mode writes OUT_DIR/MODE/rank<k>.json.
"""

import json
import logging
import operator
import os
import re
import sys
from pathlib import Path

from datasets import Dataset

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer

logger = logging.getLogger(__name__)

TEXTS = [
    "3 + 4 = 7\n\n7 * 2 = 14\n\nThe answer is 14.",
    "3 + 4 = 8\n\n8 * 2 = 16",
    "I think\n\n5 - 1 = 4",
    "no steps here",
    "2 * 6 = 12\n\n12 / 3 = 4\n\n4 + 0 = 4\n\ndone",
    "10 - 3 = 7",
    "1 + 1 = 3\n\n3 + 3 = 6",
    "9 / 3 = 3\n\nso 3",
]


def length_reward(completions, **kwargs):
    return [float(len(c)) / 10 for c in completions]


def equation_steps(steps, **kwargs):
    """1 for a step whose 'a op b = c' holds, 0 if it does not, None (ungraded) without an equation."""
    scores = []
    for row in steps:
        row_scores = []
        for step in row:
            match = re.search(r"(\d+)\s*([-+*/])\s*(\d+)\s*=\s*(\d+)", step)
            if match is None:
                row_scores.append(None)
                continue
            a, op, b, c = int(match[1]), match[2], int(match[3]), int(match[4])
            ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
            row_scores.append(float(b != 0 or op != "/") * float(ops[op](a, b or 1) == c))
        scores.append(row_scores)
    return scores


equation_steps.reward_level = "step"


class FixedCompletions(GRPOPlusTrainer):
    """Replaces the sampled completions by TEXTS[global row], so every launch sees the same global batch."""

    def _generate(self, prompts):
        result = list(super()._generate(prompts))
        offset = self.accelerator.process_index * len(prompts)
        eos = self.processing_class.eos_token_id
        texts = [TEXTS[(offset + i) % len(TEXTS)] for i in range(len(prompts))]
        ids = [self.processing_class(t, add_special_tokens=False)["input_ids"] + [eos] for t in texts]
        result[1], result[3], result[4] = ids, texts, None
        self.rows = [offset + i for i in range(len(prompts))]
        return tuple(result)


def main(model_dir: str, out_dir: str, mode: str) -> None:
    process = mode.startswith("process")
    funcs = [equation_steps, length_reward] if process else [length_reward]
    args = GRPOPlusConfig(
        output_dir=str(Path(out_dir) / mode / "run"),
        use_cpu=True,
        bf16=False,
        per_device_train_batch_size=12 // int(os.environ.get("WORLD_SIZE", "1")),  # group 2 of 3 spans both ranks
        num_generations=4,
        max_completion_length=24,
        max_steps=2,
        learning_rate=1e-3,
        beta=0.1,
        kl_in_reward=mode.endswith("_kl"),
        reward_mode="process" if process else "outcome",
        save_strategy="no",
        report_to="none",
        logging_steps=1,
        disable_tqdm=True,
        seed=0,
    )
    dataset = Dataset.from_list([{"prompt": f"Compute {a} + {b}. "} for a in range(4) for b in range(4)])
    trainer = FixedCompletions(model=model_dir, reward_funcs=funcs, args=args, train_dataset=dataset)
    trainer.model.train()
    batch = next(iter(trainer.get_train_dataloader()))
    output = trainer._generate_and_score_completions(batch)
    if "grpo_plus_row" in output:  # kl_in_reward: advantages come from the loss call's log-probs (as in training)
        trainer.current_gradient_accumulation_steps = 1
        trainer._compute_loss(trainer.model, output)
    rank = trainer.accelerator.process_index
    advantages = output["advantages"]
    if advantages.dim() == 1:
        advantages = advantages.unsqueeze(1)
    rows = {
        str(r): {"prompt": p["prompt"], "advantages": advantages[i].tolist()}
        for i, (r, p) in enumerate(zip(trainer.rows, batch))
    }
    trainer.train()
    rows["_global_step"] = trainer.state.global_step
    rows["_world_size"] = trainer.accelerator.num_processes
    (Path(out_dir) / mode).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / mode / f"rank{rank}.json").write_text(json.dumps(rows))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    for run_mode in sys.argv[3].split(","):
        main(sys.argv[1], sys.argv[2], run_mode)
