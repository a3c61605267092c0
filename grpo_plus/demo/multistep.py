"""Multi-step arithmetic for the process-supervision demo, generated deterministically from a seed.

A problem is a chain of 2–4 dependent operations on small natural numbers, written as one nested expression; every
step uses the previous step's result::

    Compute ((3 + 4) * 2) - 5. One step per line in <think>...</think>, the result in <answer>...</answer>.
    <think>3+4=7
    7*2=14
    14-5=9</think><answer>9</answer>

Columns: ``prompt``; ``solution``, the final result (what ``accuracy`` grades); ``reference``, the worked solution with
one step per line and its intermediate results (``3+4=7\\n7*2=14\\n14-5=9``, what ``reference_steps`` reads). With
``step_separator="\\n"`` the trainer splits a completion into one step per line, the last one carrying the answer.

The warm start (:class:`MultiStepWarmStart`, cached like the one-step demo's) imitates a teacher that is sloppy at the
*intermediate* steps only: at each step but the last it misreads the operand (writes ``b + 1``, or ``b - 1`` where
``b + 1`` would go below zero) with a probability that depends on the operation (0.6 for ``+`` and ``-``, 0.75 for
``*``), and its arithmetic is always exact, from the values it wrote. So every line is right given the line before, one
slip makes the final answer wrong, and a checker of the arithmetic alone (``arithmetic_steps``) cannot see it: only the
reference solution (``reference_steps``) or the final answer (``accuracy``) can. The student learns to compute and
learns the slips: at an intermediate step the misread operand is its most likely one, so its greedy answers are almost
all wrong. The teacher's answers are right only when no intermediate step slipped: 0.25–0.4 of the time for a 2-step
chain, 0.016–0.064 for a 4-step one, and the student's sampled answers about as often.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from grpo_plus.demo import data, tiny
from grpo_plus.demo.warmstart import WarmStartConfig

PROMPT_TEMPLATE = (
    "Compute {expression}. One step per line in <think>...</think>, the result in <answer>...</answer>.\n"
)
OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
STEP_SEPARATOR = "\n"
MIN_STEPS, MAX_STEPS = 2, 4
MAX_OPERAND = 9
MAX_VALUE = 50
EVAL_SEED = 10_000
EVAL_SIZE = 256


@dataclass(frozen=True)
class Chain:
    """``start`` followed by ``steps`` (operation, operand) pairs; the generator keeps every result in
    ``[0, max_value]``."""

    start: int
    steps: tuple[tuple[str, int], ...]

    def results(self, operands: Sequence[int] | None = None) -> list[int]:
        """The result of every step, computed exactly; with ``operands``, from those operands (as written, perhaps
        misread) instead of the chain's own."""
        operands = self._operands(operands)
        values = []
        value = self.start
        for (op, _), operand in zip(self.steps, operands):
            value = OPERATIONS[op](value, operand)
            values.append(value)
        return values

    def _operands(self, operands: Sequence[int] | None) -> list[int]:
        if operands is None:
            return [b for _, b in self.steps]
        if len(operands) != len(self.steps):
            raise ValueError(f"operands has {len(operands)} values for a chain of {len(self.steps)} steps")
        return list(operands)

    @property
    def answer(self) -> int:
        return self.results()[-1]

    @property
    def expression(self) -> str:
        text = str(self.start)
        for j, (op, operand) in enumerate(self.steps):
            text = f"({text})" if j > 0 else text
            text = f"{text} {op} {operand}"
        return text

    @property
    def prompt(self) -> str:
        return PROMPT_TEMPLATE.format(expression=self.expression)

    @property
    def solution(self) -> str:
        return str(self.answer)

    def lines(self, operands: Sequence[int] | None = None) -> list[str]:
        """One ``a op b = c`` line per step, ``a`` the previous line's result, ``c`` exact; with ``operands``, ``b`` as
        written (perhaps misread)."""
        operands = self._operands(operands)
        values = self.results(operands)
        inputs = [self.start, *values[:-1]]
        return [f"{a}{op}{b}={c}" for a, (op, _), b, c in zip(inputs, self.steps, operands, values)]

    @property
    def reference(self) -> str:
        return STEP_SEPARATOR.join(self.lines())

    def completion(self, operands: Sequence[int] | None = None) -> str:
        """The worked completion: one line per step in the think block, the last result in the answer block."""
        lines = self.lines(operands)
        answer = lines[-1].rsplit("=", 1)[1]
        return f"<think>{STEP_SEPARATOR.join(lines)}</think><answer>{answer}</answer>"


def _check(ops: Sequence[str], min_steps: int, max_steps: int) -> tuple[str, ...]:
    ops = tuple(ops)
    unknown = [op for op in ops if op not in OPERATIONS]
    if not ops or unknown:
        raise ValueError(f"ops must be a non-empty subset of {sorted(OPERATIONS)}, got {list(ops)}")
    if not (isinstance(min_steps, int) and isinstance(max_steps, int) and 1 <= min_steps <= max_steps):
        raise ValueError(f"need 1 <= min_steps <= max_steps, got min_steps={min_steps!r}, max_steps={max_steps!r}")
    return ops


def sample_chain(
    rng: random.Random,
    ops: Sequence[str] = tuple(OPERATIONS),
    min_steps: int = MIN_STEPS,
    max_steps: int = MAX_STEPS,
    max_value: int = MAX_VALUE,
) -> Chain:
    """One chain from ``rng``: ``start`` uniform in 1..9, the number of steps uniform in ``[min_steps, max_steps]``,
    then per step an operation uniform among those that have a valid operand (result in ``[0, max_value]``) and the
    operand uniform among the valid ones in 1..9. Every value is an int; subtraction never goes below 0."""
    start = rng.randint(1, MAX_OPERAND)
    value = start
    steps = []
    for _ in range(rng.randint(min_steps, max_steps)):
        valid = {
            op: [b for b in range(1, MAX_OPERAND + 1) if 0 <= OPERATIONS[op](value, b) <= max_value] for op in ops
        }
        possible = [op for op in ops if valid[op]]
        if not possible:
            raise ValueError(f"no operation of {list(ops)} keeps {value} within [0, {max_value}]; raise max_value")
        op = rng.choice(possible)
        operand = rng.choice(valid[op])
        steps.append((op, operand))
        value = OPERATIONS[op](value, operand)
    return Chain(start, tuple(steps))


def sample_chains(
    n: int,
    seed: int = 0,
    ops: Sequence[str] = tuple(OPERATIONS),
    min_steps: int = MIN_STEPS,
    max_steps: int = MAX_STEPS,
    max_value: int = MAX_VALUE,
) -> list[Chain]:
    """``n`` chains, the same ones for the same arguments."""
    ops = _check(ops, min_steps, max_steps)
    rng = random.Random(seed)
    return [sample_chain(rng, ops, min_steps, max_steps, max_value) for _ in range(n)]


def build_dataset(n: int = 4096, seed: int = 0, config: MultiStepWarmStart | None = None, exclude=()):
    """A ``datasets.Dataset`` of ``n`` chains with columns ``prompt``, ``solution`` and ``reference``.

    ``exclude``: prompts left out (the held-out evaluation set's), so training never sees an evaluation problem.
    """
    from datasets import Dataset

    config = config if config is not None else MultiStepWarmStart()
    excluded = set(exclude)
    rng = random.Random(seed)
    ops = _check(config.ops, config.min_steps, config.max_steps)
    chains: list[Chain] = []
    while len(chains) < n:
        chain = sample_chain(rng, ops, config.min_steps, config.max_steps, config.max_value)
        if chain.prompt not in excluded:
            chains.append(chain)
    return Dataset.from_dict(
        {
            "prompt": [c.prompt for c in chains],
            "solution": [c.solution for c in chains],
            "reference": [c.reference for c in chains],
        }
    )


def eval_chains(config: MultiStepWarmStart | None = None, n: int = EVAL_SIZE, seed: int = EVAL_SEED) -> list[Chain]:
    """The fixed held-out evaluation set: ``n`` distinct chains from their own seed."""
    config = config if config is not None else MultiStepWarmStart()
    rng = random.Random(seed)
    ops = _check(config.ops, config.min_steps, config.max_steps)
    chains: dict[str, Chain] = {}
    while len(chains) < n:
        chain = sample_chain(rng, ops, config.min_steps, config.max_steps, config.max_value)
        chains.setdefault(chain.prompt, chain)
    return list(chains.values())


@dataclass(frozen=True)
class MultiStepWarmStart(WarmStartConfig):
    """The multi-step demo's warm start: the one-step demo's recipe on :class:`Chain` problems.

    ``slip_rates`` pairs an operation with the probability that the teacher misreads the operand of an intermediate
    step of that operation (the last step never slips): it writes ``b + 1``, or ``b - 1`` where ``b + 1`` would take
    that result below zero, and computes exactly from what it wrote (so a later line may go below zero or above
    ``max_value``). The inherited ``slip_rate`` / ``slips`` of the one-step demo are unused.
    """

    cache_prefix = "demo-multistep"

    steps: int = 1500
    batch_size: int = 32
    slip_rate: float = 0.0
    slip_rates: tuple[tuple[str, float], ...] = (("+", 0.6), ("-", 0.6), ("*", 0.75))
    ops: tuple[str, ...] = tuple(OPERATIONS)
    min_steps: int = MIN_STEPS
    max_steps: int = MAX_STEPS
    max_value: int = MAX_VALUE
    num_layers: int = 3

    def __post_init__(self):
        super().__post_init__()
        _check(self.ops, self.min_steps, self.max_steps)
        rates = dict(self.slip_rates)
        bad = {op: r for op, r in rates.items() if op not in OPERATIONS or not 0.0 <= r < 1.0}
        if bad or len(rates) != len(self.slip_rates):
            raise ValueError(
                f"MultiStepWarmStart.slip_rates must pair distinct operations of {sorted(OPERATIONS)} with rates in "
                f"[0, 1), got {self.slip_rates!r}"
            )

    def sloppy_operands(self, chain: Chain, rng: random.Random) -> list[int]:
        """The operands the teacher writes: each intermediate step's is misread with its operation's rate."""
        rates = dict(self.slip_rates)
        written: list[int] = []
        value = chain.start
        for j, (op, operand) in enumerate(chain.steps):
            if j < len(chain.steps) - 1 and rng.random() < rates.get(op, 0.0):
                operand = operand + 1 if OPERATIONS[op](value, operand + 1) >= 0 else operand - 1
            written.append(operand)
            value = OPERATIONS[op](value, operand)
        return written

    def examples(self, rng: random.Random, n: int) -> list[tuple[str, str]]:
        chains = [sample_chain(rng, self.ops, self.min_steps, self.max_steps, self.max_value) for _ in range(n)]
        return [(c.prompt, c.completion(self.sloppy_operands(c, rng))) for c in chains]

    def tokenizer_corpus(self) -> list[str]:
        chains = sample_chains(
            256, seed=0, ops=self.ops, min_steps=self.min_steps, max_steps=self.max_steps, max_value=self.max_value
        )
        return data.tokenizer_corpus() + [c.prompt + c.completion() for c in chains]

    def source_modules(self) -> tuple[ModuleType, ...]:
        import sys

        return (data, tiny, sys.modules[__name__])
