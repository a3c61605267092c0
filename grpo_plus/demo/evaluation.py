"""Held-out evaluation of a demo policy: greedy decoding of a fixed problem set, graded by the registry's ``accuracy``.

:func:`evaluate` decodes every prompt greedily (no sampling, so the result depends only on the weights), grades the
answers with ``accuracy`` against the ``solution`` column, and measures the shape of the reasoning with the trainer's
own step split (:func:`grpo_plus.steps.split_completions` at ``step_separator``): steps per completion and tokens per
step, the two guards against separator avoidance and step farming. :class:`HeldOutEvalCallback` runs it before
training, every ``every`` optimizer steps and after the last one, and keeps the curve.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from grpo_plus.steps import split_completions

logger = logging.getLogger(__name__)

METRICS = ("accuracy", "steps_per_completion", "tokens_per_step")
COMPLETIONS_FILENAME = "eval_completions.json"


def _completion_ids(row: Sequence[int], eos_id: int | None, pad_id: int | None) -> list[int]:
    """The generated ids up to and including the first eos (as the trainer sees a completion), padding dropped."""
    ids = []
    for token in row:
        if token == pad_id and token != eos_id:
            break
        ids.append(int(token))
        if token == eos_id:
            break
    return ids


def generate_greedy(model, tokenizer, prompts: Sequence[str], max_new_tokens: int, batch_size: int = 256):
    """Greedy completions of plain-text ``prompts``: (texts decoded with ``skip_special_tokens=True``, token ids)."""
    import torch
    from transformers import GenerationConfig

    config = GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    was_training = model.training
    model.eval()
    texts: list[str] = []
    ids: list[list[int]] = []
    try:
        with torch.no_grad():
            for start in range(0, len(prompts), batch_size):
                batch = tokenizer(list(prompts[start : start + batch_size]), return_tensors="pt", padding=True)
                batch = {k: v.to(model.device) for k, v in batch.items()}
                out = model.generate(**batch, generation_config=config)
                for row in out[:, batch["input_ids"].size(1) :].tolist():
                    completion = _completion_ids(row, tokenizer.eos_token_id, tokenizer.pad_token_id)
                    ids.append(completion)
                    texts.append(tokenizer.decode(completion, skip_special_tokens=True))
    finally:
        tokenizer.padding_side = side
        if was_training:
            model.train()
    return texts, ids


def step_shape(tokenizer, completion_ids: Sequence[Sequence[int]], texts: Sequence[str], separator: str):
    """(steps per completion, tokens per step): the mean number of steps of the trainer's split, and all completion
    tokens over all steps (eos included, as the trainer counts them)."""
    steps, _ = split_completions(tokenizer, completion_ids, separator=separator, texts=list(texts))
    num_steps = sum(len(s) for s in steps)
    num_tokens = sum(len(ids) for ids in completion_ids)
    return num_steps / max(len(steps), 1), num_tokens / max(num_steps, 1)


def evaluate(
    model, tokenizer, prompts: Sequence[str], solutions: Sequence[str], max_new_tokens: int, separator: str
) -> dict[str, Any]:
    """Greedy held-out evaluation: ``accuracy`` (mean of the registry's reward), ``steps_per_completion``,
    ``tokens_per_step`` and the completions."""
    from rewards import get_reward

    texts, ids = generate_greedy(model, tokenizer, prompts, max_new_tokens)
    scores = get_reward("accuracy")(texts, solution=list(solutions))
    graded = [s for s in scores if s is not None]
    steps_per_completion, tokens_per_step = step_shape(tokenizer, ids, texts, separator)
    return {
        "accuracy": sum(graded) / len(graded) if graded else float("nan"),
        "steps_per_completion": steps_per_completion,
        "tokens_per_step": tokens_per_step,
        "completions": texts,
    }


class HeldOutEvalCallback(TrainerCallback):
    """Evaluate the policy on a fixed set before training, every ``every`` steps and at the end.

    ``curve`` holds one ``{"step", "accuracy", "steps_per_completion", "tokens_per_step"}`` per evaluation; the
    completions of the first and the last evaluation are kept in ``first_completions`` / ``last_completions`` and
    written to ``<output_dir>/eval_completions.json`` at the end of training.
    """

    def __init__(
        self,
        prompts: Sequence[str],
        solutions: Sequence[str],
        max_new_tokens: int,
        separator: str,
        every: int = 0,
    ):
        if len(prompts) != len(solutions) or not prompts:
            raise ValueError(f"need one solution per prompt, got {len(prompts)} prompts and {len(solutions)} solutions")
        self.prompts, self.solutions = list(prompts), list(solutions)
        self.max_new_tokens, self.separator, self.every = max_new_tokens, separator, every
        self.curve: list[dict[str, float]] = []
        self.first_completions: list[str] = []
        self.last_completions: list[str] = []
        self.seconds = 0.0

    def run(self, model, tokenizer, step: int) -> dict[str, float]:
        start = time.perf_counter()
        result = evaluate(model, tokenizer, self.prompts, self.solutions, self.max_new_tokens, self.separator)
        self.seconds += time.perf_counter() - start
        if not self.curve:
            self.first_completions = result["completions"]
        self.last_completions = result["completions"]
        point = {"step": step, **{k: round(float(result[k]), 4) for k in METRICS}}
        self.curve.append(point)
        logger.info(
            "held-out eval at step %d: accuracy %.3f, %.2f steps per completion, %.2f tokens per step",
            step, point["accuracy"], point["steps_per_completion"], point["tokens_per_step"],
        )
        return point

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if not self.curve:
            self.run(model, processing_class, state.global_step)

    def on_step_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        if self.every and state.global_step % self.every == 0 and self.curve[-1]["step"] != state.global_step:
            self.run(model, processing_class, state.global_step)

    def on_train_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        if self.curve[-1]["step"] != state.global_step:
            self.run(model, processing_class, state.global_step)
        if state.is_world_process_zero and args.output_dir:
            path = Path(args.output_dir) / COMPLETIONS_FILENAME
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = [
                {"prompt": p, "solution": s, "before": b, "after": a}
                for p, s, b, a in zip(self.prompts, self.solutions, self.first_completions, self.last_completions)
            ]
            path.write_text(json.dumps(rows, indent=1) + "\n")

    def summary(self) -> dict[str, Any]:
        """Before/after values (first and last evaluation) and the whole curve."""
        first, last = self.curve[0], self.curve[-1]
        out: dict[str, Any] = {}
        for key in METRICS:
            name = "eval_accuracy" if key == "accuracy" else key
            out[f"{name}_before"], out[f"{name}_after"] = first[key], last[key]
        out["eval_problems"] = len(self.prompts)
        out["eval_s"] = round(self.seconds, 1)
        out["eval_curve"] = list(self.curve)
        return out
