"""Arithmetic problems for the offline demo, generated deterministically from a seed.

A problem is ``a op b`` with single-digit operands; the prompt asks for the layout the ``format`` reward checks
(``<think>…</think><answer>…</answer>``) and the ``solution`` column holds the exact answer as a string, which is
what the ``accuracy`` reward grades against. Worked completions (for the supervised warm start) show the
computation in the think block and the result in the answer block::

    What is 7 + 5? Answer in the form <think>...</think><answer>...</answer>.
    <think>7+5=12</think><answer>12</answer>
"""

from __future__ import annotations

import operator
import random
from collections.abc import Sequence
from dataclasses import dataclass

PROMPT_TEMPLATE = "What is {a} {op} {b}? Answer in the form <think>...</think><answer>...</answer>.\n"
TAGS = ("<think>", "</think>", "<answer>", "</answer>")
OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
MAX_OPERAND = 9


@dataclass(frozen=True)
class Problem:
    """``a op b``; subtraction problems are generated with ``a >= b`` so every answer is a natural number."""

    a: int
    op: str
    b: int

    @property
    def answer(self) -> int:
        return OPERATIONS[self.op](self.a, self.b)

    @property
    def prompt(self) -> str:
        return PROMPT_TEMPLATE.format(a=self.a, op=self.op, b=self.b)

    @property
    def solution(self) -> str:
        return str(self.answer)

    def completion(self, result: int | None = None) -> str:
        """The worked completion, showing ``result`` (default: the correct answer) as the computed value."""
        value = self.answer if result is None else result
        return f"<think>{self.a}{self.op}{self.b}={value}</think><answer>{value}</answer>"


def _check(ops: Sequence[str], max_operand: int) -> tuple[str, ...]:
    ops = tuple(ops)
    unknown = [op for op in ops if op not in OPERATIONS]
    if not ops or unknown:
        raise ValueError(f"ops must be a non-empty subset of {sorted(OPERATIONS)}, got {list(ops)}")
    if not isinstance(max_operand, int) or max_operand < 1:
        raise ValueError(f"max_operand must be a positive int, got {max_operand!r}")
    return ops


def sample_problem(rng: random.Random, ops: Sequence[str] = ("+",), max_operand: int = MAX_OPERAND) -> Problem:
    """One problem drawn from ``rng``: operands uniform in ``[0, max_operand]``, the operation uniform in ``ops``."""
    op = rng.choice(tuple(ops))
    a, b = rng.randint(0, max_operand), rng.randint(0, max_operand)
    if op == "-" and b > a:
        a, b = b, a
    return Problem(a, op, b)


def sample_problems(
    n: int, seed: int = 0, ops: Sequence[str] = ("+",), max_operand: int = MAX_OPERAND
) -> list[Problem]:
    """``n`` problems, the same ones for the same arguments."""
    ops = _check(ops, max_operand)
    rng = random.Random(seed)
    return [sample_problem(rng, ops, max_operand) for _ in range(n)]


def build_dataset(n: int = 4096, seed: int = 0, ops: Sequence[str] = ("+",), max_operand: int = MAX_OPERAND):
    """A ``datasets.Dataset`` of ``n`` plain-text prompts with columns ``prompt`` and ``solution`` (a string)."""
    from datasets import Dataset

    problems = sample_problems(n, seed=seed, ops=ops, max_operand=max_operand)
    return Dataset.from_dict({"prompt": [p.prompt for p in problems], "solution": [p.solution for p in problems]})


def tokenizer_corpus(n: int = 256, seed: int = 0, ops: Sequence[str] = tuple(OPERATIONS)) -> list[str]:
    """Prompt + worked completion texts to train the demo tokenizer's merges on."""
    return [p.prompt + p.completion() for p in sample_problems(n, seed=seed, ops=ops)]
