"""Held-out evaluation of a demo policy on a fixed problem set, graded by the registry's ``accuracy``.

:func:`evaluate` decodes every prompt greedily (no sampling, so the result depends only on the weights), grades the
answers with ``accuracy`` against the ``solution`` column, and measures the shape of the reasoning with the trainer's
own step split (:func:`grpo_plus.steps.split_completions` at ``step_separator``): steps per completion and tokens per
step, the two guards against separator avoidance and step farming. :func:`evaluate_sampled` draws ``k`` completions
per prompt at temperature 1 from a fixed seed (the caller's RNG state restored after, so evaluating does not change
training): sampled accuracy, pass@k (:func:`pass_at_k`), policy entropy and KL to a reference per token, completion
length and, for chain problems, per-position slip rates. :class:`HeldOutEvalCallback` runs them before training,
every ``every`` optimizer steps and after the last one, and keeps the curves; :func:`auc` summarises one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from grpo_plus.steps import split_completions

logger = logging.getLogger(__name__)

METRICS = ("accuracy", "steps_per_completion", "tokens_per_step")
SAMPLED_METRICS = ("sampled_accuracy", "pass_at_k", "entropy", "kl_to_reference", "completion_length")
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


def generate(
    model,
    tokenizer,
    prompts: Sequence[str],
    max_new_tokens: int,
    num_samples: int = 0,
    temperature: float = 1.0,
    batch_size: int = 256,
):
    """Completions of plain-text ``prompts``: (texts decoded with ``skip_special_tokens=True``, token ids).

    ``num_samples=0`` decodes greedily (one completion per prompt); ``num_samples=k`` samples ``k`` per prompt at
    ``temperature`` (no top-k / top-p truncation, as TRL's defaults), prompt by prompt in order, from the global torch
    RNG (see :func:`preserved_rng`).
    """
    import torch
    from transformers import GenerationConfig

    sampling = num_samples > 0
    config = GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=sampling,
        num_return_sequences=max(num_samples, 1),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **({"temperature": temperature, "top_k": 0, "top_p": 1.0} if sampling else {}),
    )
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    was_training = model.training
    model.eval()
    texts: list[str] = []
    ids: list[list[int]] = []
    step = max(1, batch_size // max(num_samples, 1))
    try:
        with torch.no_grad():
            for start in range(0, len(prompts), step):
                batch = tokenizer(list(prompts[start : start + step]), return_tensors="pt", padding=True)
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


def generate_greedy(model, tokenizer, prompts: Sequence[str], max_new_tokens: int, batch_size: int = 256):
    """Greedy completions of plain-text ``prompts``: (texts, token ids); see :func:`generate`."""
    return generate(model, tokenizer, prompts, max_new_tokens, batch_size=batch_size)


@contextlib.contextmanager
def preserved_rng(seed: int) -> Iterator[None]:
    """Run the block with torch, ``random`` and numpy seeded from ``seed``; restore the caller's RNG states after.

    So a sampled evaluation draws the same completions for the same weights, and training after it draws exactly what
    it would have drawn without it.
    """
    import numpy as np
    import torch

    python_state, numpy_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)


def pass_at_k(num_correct: int, num_samples: int, k: int) -> float:
    """Unbiased pass@k of one problem from ``num_correct`` right answers among ``num_samples`` draws (Chen et al.
    2021, arXiv 2107.03374, eq. 1): ``1 - C(n - c, k) / C(n, k)``; with ``k = n`` it is 1 if any draw is right."""
    if not 0 <= num_correct <= num_samples or not 1 <= k <= num_samples:
        raise ValueError(f"pass_at_k needs 0 <= num_correct <= num_samples and 1 <= k <= num_samples, got "
                         f"num_correct={num_correct}, num_samples={num_samples}, k={k}")
    return 1.0 - math.comb(num_samples - num_correct, k) / math.comb(num_samples, k)


def auc(curve: Sequence[Mapping[str, float]], key: str) -> float:
    """Mean of ``key`` over the evaluation points after step 0 of a curve (``[{"step": s, key: v}, ...]``): the
    normalised area under the learning curve when evaluations are evenly spaced."""
    values = [float(point[key]) for point in curve if point["step"] > 0]
    if not values:
        raise ValueError(f"auc needs an evaluation after step 0; the curve has steps {[p['step'] for p in curve]}")
    return sum(values) / len(values)


def token_statistics(model, reference, tokenizer, prompts: Sequence[str], completion_ids, batch_size: int = 256):
    """(policy entropy, KL to ``reference``) per completion token, averaged over all tokens of ``completion_ids``.

    Entropy: ``-sum_v p(v) log p(v)`` of the policy's next-token distribution at each completion position. KL: the k3
    estimate ``exp(log_r) - 1 - log_r``, ``log_r = log pi_ref(y_t) - log pi(y_t)``, of the sampled tokens (unbiased and
    non-negative for samples of the policy; Schulman 2020); 0 without a second forward when ``reference`` is
    ``model``. ``prompts[i]`` is the prompt of ``completion_ids[i]``.
    """
    import torch

    entropy_sum = kl_sum = 0.0
    count = 0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(prompts), batch_size):
                rows = []
                for prompt, completion in zip(prompts[start : start + batch_size], completion_ids[start : start + batch_size]):
                    prompt_ids = tokenizer(prompt)["input_ids"]
                    rows.append((prompt_ids + list(completion), len(prompt_ids), len(completion)))
                length = max(len(r[0]) for r in rows)
                input_ids = torch.full((len(rows), length), tokenizer.pad_token_id, dtype=torch.long)
                mask = torch.zeros((len(rows), length), dtype=torch.long)
                targets = torch.zeros((len(rows), length), dtype=torch.bool)
                for i, (ids, prompt_len, completion_len) in enumerate(rows):
                    input_ids[i, : len(ids)] = torch.tensor(ids)
                    mask[i, : len(ids)] = 1
                    targets[i, prompt_len : prompt_len + completion_len] = True
                device = next(model.parameters()).device
                input_ids, mask = input_ids.to(device), mask.to(device)
                position = targets[:, 1:].to(device)
                labels = input_ids[:, 1:][position][:, None]
                logits = model(input_ids=input_ids, attention_mask=mask).logits[:, :-1][position]
                logps = torch.log_softmax(logits.float(), -1)
                entropy_sum += float(-(logps.exp() * logps).sum())
                if reference is not model:
                    ref_logits = reference(input_ids=input_ids, attention_mask=mask).logits[:, :-1][position]
                    log_r = torch.log_softmax(ref_logits.float(), -1).gather(-1, labels) - logps.gather(-1, labels)
                    kl_sum += float((torch.exp(log_r) - 1 - log_r).sum())
                count += int(position.sum())
    finally:
        if was_training:
            model.train()
    return entropy_sum / max(count, 1), kl_sum / max(count, 1)


def chain_diagnostics(texts: Sequence[str], references: Sequence[str], correct: Sequence[float], separator: str):
    """Per-position slip rates, "right answer, wrong line" traces and restatement lines of chain completions.

    Each completion is split at ``separator`` and graded by :func:`rewards.steps.computation_grades` (each computation
    judged given the lines before it). ``slip_rates[j]``: the fraction of completions whose j-th computation is
    missing or wrong. ``right_answer_wrong_line``: completions graded right by ``accuracy`` with at least one wrong
    computation. ``restatements``: mean lines per completion that restate a value (``v=v``, what a farmable step
    reward pays for).
    """
    from rewards.steps import computation_grades, parse_chain_reference

    chains = [parse_chain_reference(r) for r in references]
    wrong = [0] * max(len(c.steps) for c in chains)
    traces = []
    restated = 0
    for text, chain, right in zip(texts, chains, correct):
        lines = text.split(separator)
        computed = computation_grades(lines, chain)
        for j, grade in enumerate(computed):
            wrong[j] += grade == 0.0
        if right == 1.0 and min(computed) == 0.0:
            traces.append(text)
        restated += sum(1 for line in lines if _is_restatement(line))
    return {
        "slip_rates": [round(w / max(len(texts), 1), 4) for w in wrong],
        "right_answer_wrong_line": len(traces),
        "right_answer_wrong_line_examples": traces[:5],
        "restatements": restated / max(len(texts), 1),
    }


def _is_restatement(line: str) -> bool:
    """``v=v`` (think tags around it allowed)."""
    body = line.replace("<think>", "").split("</think>")[0].strip()
    left, sep, right = body.partition("=")
    return bool(sep) and left.strip().lstrip("-").isdigit() and left.strip() == right.strip()


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


def evaluate_sampled(
    model,
    tokenizer,
    prompts: Sequence[str],
    solutions: Sequence[str],
    max_new_tokens: int,
    num_samples: int,
    seed: int,
    reference=None,
    references: Sequence[str] | None = None,
    separator: str = "\n",
    temperature: float = 1.0,
) -> dict[str, Any]:
    """Sampled held-out evaluation: ``num_samples`` completions per prompt at ``temperature`` from ``seed``.

    Returns ``sampled_accuracy`` (mean ``accuracy`` over all draws), ``pass_at_k`` (k = ``num_samples``, mean over
    prompts), ``completion_length`` (mean tokens per completion, eos included), ``entropy`` and ``kl_to_reference``
    (per token, :func:`token_statistics` on the first draw of each prompt; the KL only with a ``reference`` model) and, with ``references`` (chain
    reference solutions), :func:`chain_diagnostics`. The caller's RNG state is left as it was (:func:`preserved_rng`).
    """
    from rewards import get_reward

    with preserved_rng(seed):
        texts, ids = generate(model, tokenizer, prompts, max_new_tokens, num_samples=num_samples, temperature=temperature)
    repeated = [p for p in prompts for _ in range(num_samples)]
    scores = get_reward("accuracy")(texts, solution=[s for s in solutions for _ in range(num_samples)])
    correct = [float(s or 0.0) for s in scores]
    per_prompt = [correct[i : i + num_samples] for i in range(0, len(correct), num_samples)]
    result: dict[str, Any] = {
        "sampled_accuracy": sum(correct) / len(correct),
        "pass_at_k": sum(pass_at_k(int(sum(c)), num_samples, num_samples) for c in per_prompt) / len(per_prompt),
        "completion_length": sum(len(i) for i in ids) / len(ids),
    }
    first = slice(None, None, num_samples)  # the first draw of each prompt: 256 x ~50 tokens is plenty for the means
    entropy, kl = token_statistics(model, reference if reference is not None else model, tokenizer,
                                   repeated[first], ids[first])
    result["entropy"] = entropy
    result["kl_to_reference"] = kl if reference is not None else float("nan")
    if references is not None:
        result.update(chain_diagnostics(texts, [r for r in references for _ in range(num_samples)], correct, separator))
    result["completions"] = texts
    return result


def frozen_copy(model):
    """A copy of ``model`` in eval mode without gradients: the policy at this moment, as a KL reference.

    A ``forward`` set on the instance is dropped from the copy: TRL 1.16's fused LM head replaces the model's forward
    by a closure over the *original model's* bound forward (``trl.trainer.utils``, ``_fused_forward``), so a plain
    deep copy would run the policy's weights and measure a KL of 0. Without ``fused_lm_head=True`` that closure is
    the class's forward, so the copy computes what the policy's patched forward would.
    """
    import copy

    reference = copy.deepcopy(model)
    reference.__dict__.pop("forward", None)
    return reference.eval().requires_grad_(False)


class HeldOutEvalCallback(TrainerCallback):
    """Evaluate the policy on a fixed set before training, every ``every`` steps and at the end.

    Greedy always (:func:`evaluate`); with ``num_samples > 0`` also sampled (:func:`evaluate_sampled`, from
    ``sample_seed``, against the policy at the start of training as the KL reference; ``references`` adds the chain
    diagnostics). ``curve`` holds one point per evaluation (``step`` and :data:`METRICS`, plus
    :data:`SAMPLED_METRICS` when sampling); the greedy completions of the first and the last evaluation are written
    to ``<output_dir>/eval_completions.json`` at the end of training.
    """

    def __init__(
        self,
        prompts: Sequence[str],
        solutions: Sequence[str],
        max_new_tokens: int,
        separator: str,
        every: int = 0,
        num_samples: int = 0,
        sample_seed: int = 0,
        references: Sequence[str] | None = None,
    ):
        if len(prompts) != len(solutions) or not prompts:
            raise ValueError(f"need one solution per prompt, got {len(prompts)} prompts and {len(solutions)} solutions")
        if references is not None and len(references) != len(prompts):
            raise ValueError(f"need one reference per prompt, got {len(references)} for {len(prompts)} prompts")
        self.prompts, self.solutions = list(prompts), list(solutions)
        self.max_new_tokens, self.separator, self.every = max_new_tokens, separator, every
        self.num_samples, self.sample_seed = num_samples, sample_seed
        self.references = list(references) if references is not None else None
        self.reference_model = None
        self.curve: list[dict[str, float]] = []
        self.diagnostics: list[dict[str, Any]] = []
        self.first_completions: list[str] = []
        self.last_completions: list[str] = []
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    @classmethod
    def for_chains(cls, chains, args, every: int, num_samples: int = 0, sample_seed: int = 0) -> HeldOutEvalCallback:
        """The callback on held-out chains (``prompt``, ``solution`` and, when sampling, ``reference`` of each) with
        the run's ``max_completion_length`` and ``step_separator``."""
        return cls(
            [c.prompt for c in chains],
            [c.solution for c in chains],
            max_new_tokens=args.max_completion_length,
            separator=args.step_separator,
            every=every,
            num_samples=num_samples,
            sample_seed=sample_seed,
            references=[c.reference for c in chains] if num_samples else None,
        )

    def run(self, model, tokenizer, step: int) -> dict[str, float]:
        start, cpu_start = time.perf_counter(), time.process_time()
        result = evaluate(model, tokenizer, self.prompts, self.solutions, self.max_new_tokens, self.separator)
        point = {"step": step, **{k: round(float(result[k]), 4) for k in METRICS}}
        if self.num_samples:
            sampled = evaluate_sampled(
                model, tokenizer, self.prompts, self.solutions, self.max_new_tokens, self.num_samples,
                self.sample_seed, reference=self.reference_model, references=self.references, separator=self.separator,
            )
            point.update({k: round(float(sampled[k]), 4) for k in SAMPLED_METRICS})
            if self.references is not None:
                self.diagnostics.append({"step": step, **{k: sampled[k] for k in (
                    "slip_rates", "right_answer_wrong_line", "right_answer_wrong_line_examples", "restatements")}})
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += time.process_time() - cpu_start
        if not self.curve:
            self.first_completions = result["completions"]
        self.last_completions = result["completions"]
        self.curve.append(point)
        logger.info(
            "held-out eval at step %d: accuracy %.3f (greedy)%s, %.2f steps per completion, %.2f tokens per step",
            step, point["accuracy"],
            f", {point['sampled_accuracy']:.3f} sampled" if self.num_samples else "",
            point["steps_per_completion"], point["tokens_per_step"],
        )
        return point

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if self.num_samples and self.reference_model is None:
            self.reference_model = frozen_copy(model)
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
        """Before/after values (first and last evaluation), the sampled AUC, the curve and the chain diagnostics."""
        first, last = self.curve[0], self.curve[-1]
        out: dict[str, Any] = {}
        names = {"accuracy": "eval_accuracy", "sampled_accuracy": "eval_sampled_accuracy",
                 "pass_at_k": f"eval_pass_at_{self.num_samples}"}
        for key in METRICS + (SAMPLED_METRICS if self.num_samples else ()):
            name = names.get(key, key if key in METRICS else f"eval_{key}")
            out[f"{name}_before"], out[f"{name}_after"] = first[key], last[key]
        if self.num_samples and len(self.curve) > 1:
            out["eval_sampled_auc"] = round(auc(self.curve, "sampled_accuracy"), 4)
            out[f"eval_pass_at_{self.num_samples}_auc"] = round(auc(self.curve, "pass_at_k"), 4)
        out["eval_problems"] = len(self.prompts)
        out["eval_samples_per_problem"] = self.num_samples
        out["eval_s"] = round(self.seconds, 1)
        out["eval_cpu_s"] = round(self.cpu_seconds, 1)
        out["eval_curve"] = list(self.curve)
        if self.diagnostics:
            out["slip_rates_before"] = self.diagnostics[0]["slip_rates"]
            out["slip_rates_after"] = self.diagnostics[-1]["slip_rates"]
            out["right_answer_wrong_line_before"] = self.diagnostics[0]["right_answer_wrong_line"]
            out["right_answer_wrong_line_after"] = self.diagnostics[-1]["right_answer_wrong_line"]
            out["right_answer_wrong_line_examples"] = self.diagnostics[-1]["right_answer_wrong_line_examples"]
            out["restatements_before"] = round(self.diagnostics[0]["restatements"], 4)
            out["restatements_after"] = round(self.diagnostics[-1]["restatements"], 4)
        return out
