"""Agents: per-turn process rewards for multi-turn tool rollouts.

    python examples/agent_process_reward.py --tiny                     # offline: tiny model, warm start, CPU steps
    accelerate launch examples/agent_process_reward.py --model_name_or_path Qwen/Qwen2.5-0.5B-Instruct \
        --output_dir agent-out --max_steps 200

The task: "What is a + b?", with a calculator tool `add`. TRL runs the rollout (generate, execute the tool call,
append the tool response, generate again); with reward_mode="process" the steps of a completion are its assistant
turns and the tool-response tokens between them belong to no step (advantage 0, as TRL masks them in the loss).

- `CalculatorEnv.get_turn_rewards()` says, per assistant turn, whether it was useful: 1 for a call of `add` with the
  question's two numbers, 0 for any other call, None (ungraded) for the answer turn after a call and 0 for an answer
  given without calling the tool. These become the step
  reward "CalculatorEnv.turns", normalised per group and credited to the tokens of the turns up to it
  (process_credit "sum": DeepSeekMath §4.1.3; "min": min-form).
- `correct_answer`, an outcome reward, grades the final answer; its outcome advantage is added to every token of the
  completion's turns. An environment's `get_reward()` would be an outcome reward in the same way.

`get_turn_rewards` returns one value per assistant turn of the rollout, in order: one per tool call that reached the
environment (one call per turn), then one for the answer turn. A call the environment never sees (an unknown tool
name, wrong argument names) still makes a turn; the trainer then reports the mismatch naming the environment.

--tiny builds a random tiny Qwen2 with Qwen2.5's chat template (grpo_plus.demo.tiny.save_tiny_tool_model) and first
teaches it the tool-call format with a short supervised run on a sloppy teacher's transcripts (right numbers 70% of
the time): a random model never emits a parsable tool call. The logs show steps/* (turns per completion, step
rewards), tools/* (call and failure frequencies) and the rewards; curves land in output_dir/grpo_metrics/.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import sys
import tempfile
from pathlib import Path

from datasets import Dataset
from trl import ModelConfig, TrlParser

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.plotting import PlotMetricsCallback

logger = logging.getLogger("agent_process_reward")

QUESTION = "What is {a} + {b}? Use the add tool, then give the answer."


class CalculatorEnv:
    """One rollout's environment: the task's numbers and the calls the model made."""

    def reset(self, a: int, b: int, **kwargs) -> None:
        self.task = (a, b)
        self.calls: list[tuple[int, int]] = []
        return None  # the prompt already states the task

    def add(self, a: int, b: int) -> int:
        """
        Adds two integers.

        Args:
            a: The first integer.
            b: The second integer.

        Returns:
            The sum of the two integers.
        """
        self.calls.append((a, b))
        return a + b

    def get_turn_rewards(self) -> list[float | None]:
        """Per assistant turn: 1.0 for the first call with the task's numbers, 0.0 for any other call (wrong numbers
        or a repeat); the answer turn after a call is None (the outcome reward grades the answer), an answer given
        without any call is 0.0 (the task asks for the tool)."""
        useful = []
        for i, call in enumerate(self.calls):
            useful.append(1.0 if sorted(call) == sorted(self.task) and call not in self.calls[:i] else 0.0)
        return useful + [None if self.calls else 0.0]


def correct_answer(completions, answer, **kwargs) -> list[float]:
    """1.0 when the last number of the final assistant message is the sum, else 0.0."""
    scores = []
    for messages, expected in zip(completions, answer):
        final = [m.get("content") or "" for m in messages if m["role"] == "assistant" and not m.get("tool_calls")]
        numbers = re.findall(r"-?\d+", final[-1] if final else "")
        scores.append(1.0 if numbers and int(numbers[-1]) == int(expected) else 0.0)
    return scores


def make_tasks(n: int, seed: int = 0, high: int = 5) -> Dataset:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        a, b = rng.randint(1, high), rng.randint(1, high)
        prompt = [{"role": "user", "content": QUESTION.format(a=a, b=b)}]
        rows.append({"prompt": prompt, "a": a, "b": b, "answer": a + b})
    return Dataset.from_list(rows)


def teacher_transcript(a: int, b: int, rng: random.Random, slip_rate: float = 0.3) -> list[dict]:
    """A call of add (with a slipped number ``slip_rate`` of the time), its result, the answer that follows from it."""
    call_b = b + rng.choice([-1, 1]) if rng.random() < slip_rate else b
    call = {"type": "function", "function": {"name": "add", "arguments": {"a": a, "b": call_b}}}
    return [
        {"role": "user", "content": QUESTION.format(a=a, b=b)},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "name": "add", "content": str(a + call_b)},
        {"role": "assistant", "content": f"The answer is {a + call_b}."},
    ]


def warm_start(model_dir: str, steps: int = 300, batch_size: int = 16, lr: float = 3e-3, seed: int = 0) -> None:
    """Supervised warm start of the tiny model on teacher transcripts (loss on the tokens after the prompt), saved
    in place: afterwards it writes parsable tool calls, with the right numbers only part of the time."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    tools = [CalculatorEnv().add]
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        rows, labels = [], []
        for _ in range(batch_size):
            messages = teacher_transcript(rng.randint(1, 5), rng.randint(1, 5), rng)
            ids = tokenizer.apply_chat_template(messages, tools=tools, tokenize=True, return_dict=False)
            prompt = tokenizer.apply_chat_template(
                messages[:1], tools=tools, add_generation_prompt=True, tokenize=True, return_dict=False
            )
            rows.append(ids)
            labels.append([-100] * len(prompt) + ids[len(prompt):])
        width = max(len(r) for r in rows)
        input_ids = torch.tensor([r + [tokenizer.pad_token_id] * (width - len(r)) for r in rows])
        attention = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        target = torch.tensor([lab + [-100] * (width - len(lab)) for lab in labels])
        loss = model(input_ids=input_ids, attention_mask=attention, labels=target).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step % 100 == 0 or step == steps - 1:
            logger.info("warm start step %d/%d: loss %.3f", step + 1, steps, loss.item())
    model.save_pretrained(model_dir)


def tiny_setup(workdir: Path) -> dict:
    from grpo_plus.demo.tiny import save_tiny_tool_model

    model_dir = save_tiny_tool_model(workdir / "model", hidden_size=64, num_layers=2)
    warm_start(model_dir)
    return {
        "model_name_or_path": model_dir,
        "output_dir": str(workdir / "out"),
        "max_steps": 6,
        "per_device_train_batch_size": 8,
        "num_generations": 4,
        "max_completion_length": 96,
        "learning_rate": 1e-3,
        "beta": 0.0,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "bf16": False,
        "disable_tqdm": True,
        "seed": 0,
    }


def main(argv: list[str] | None = None) -> GRPOPlusTrainer:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = TrlParser((GRPOPlusConfig, ModelConfig))
    parser.set_defaults_with_config(
        reward_mode="process", process_credit="sum", max_tool_calling_iterations=2, num_generations=4
    )
    if "--tiny" in argv:
        argv.remove("--tiny")
        parser.set_defaults_with_config(**tiny_setup(Path(tempfile.mkdtemp(prefix="grpo-plus-agent-"))))
    training_args, model_args = parser.parse_args_and_config(argv)
    trainer = GRPOPlusTrainer(
        model=model_args.model_name_or_path,
        reward_funcs=[correct_answer],
        args=training_args,
        train_dataset=make_tasks(256, seed=training_args.seed),
        environment_factory=CalculatorEnv,
        callbacks=[PlotMetricsCallback()],  # trainer_state.json and curves (steps.png among them) in output_dir
    )
    trainer.train()
    trainer.save_model(training_args.output_dir)
    keys = ("steps/per_completion", "steps/reward_mean", "tools/call_frequency", "tools/failure_frequency",
            "rewards/CalculatorEnv.turns/mean", "rewards/correct_answer/mean", "reward")
    for entry in trainer.state.log_history:
        if "steps/per_completion" in entry:
            shown = {k: round(v, 4) for k in keys if isinstance(v := entry.get(k), float) and not math.isnan(v)}
            logger.info("step %d: %s", entry["step"], json.dumps(shown))
    logger.info("done: %d steps in process mode; model in %s", trainer.state.global_step, training_args.output_dir)
    return trainer


if __name__ == "__main__":
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    for name in ("agent_process_reward", "grpo_plus", "rewards"):
        logging.getLogger(name).setLevel(logging.INFO)
    main()
