"""Long chains with rare successes: the ``chains`` demo task, where outcome rewards are sparse.

A problem is a chain of :data:`NUM_STEPS` dependent operations drawn by :func:`grpo_plus.demo.multistep.sample_chain`
(values kept in ``[0, MAX_VALUE]``), written and solved as in the multi-step demo, one step per line::

    Compute (((((3 + 4) * 2) - 5) + 8) - 6) * 2. One step per line in <think>...</think>, ...
    <think>3+4=7
    7*2=14
    ...
    11*2=22</think><answer>22</answer>

The warm start (:class:`ChainsWarmStart`) imitates a teacher with independent, operation-specific slip habits at
*every* step: it misreads the operand of a ``+`` / ``-`` / ``*`` step (writes ``b + 1``, or ``b - 1`` where ``b + 1``
would take the result below zero) with that operation's rate, and computes exactly from what it wrote, so the lines
after a slip are right given the line before them. Now and then (``restate_rate`` per line after the first) it also
restates the value it has just computed on a line of its own (``14=14``): harmless, and the farmable line of the
gameable-reward follow-up. Three regimes, each its own warm start (rates fixed in pilots, see
``benchmarks/process_chains.py``; the figures are the warm-started student's held-out sampled accuracy):
:data:`SPARSE` (about 0.06), :data:`MODERATE` (about 0.21) and :data:`MIDDLE` (about 0.15; the first attempt at a
moderate regime, kept for its results).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import ModuleType

from grpo_plus.demo import data, multistep, tiny
from grpo_plus.demo.multistep import OPERATIONS, Chain, sample_chain
from grpo_plus.demo.warmstart import WarmStartConfig

NUM_STEPS = 6
MAX_VALUE = 50
STEP_SEPARATOR = multistep.STEP_SEPARATOR
EVAL_SEED = 20_000
EVAL_SIZE = 256


def sample_chains(n: int, seed: int, exclude=()) -> list[Chain]:
    """``n`` distinct chains of :data:`NUM_STEPS` steps from ``seed``, none of whose prompts is in ``exclude``."""
    excluded = set(exclude)
    rng = random.Random(seed)
    chains: dict[str, Chain] = {}
    while len(chains) < n:
        chain = sample_chain(rng, tuple(OPERATIONS), NUM_STEPS, NUM_STEPS, MAX_VALUE)
        if chain.prompt not in excluded:
            chains.setdefault(chain.prompt, chain)
    return list(chains.values())


def eval_chains(n: int = EVAL_SIZE) -> list[Chain]:
    """The fixed held-out evaluation set: ``n`` distinct chains from :data:`EVAL_SEED`."""
    return sample_chains(n, EVAL_SEED)


def build_dataset(n: int = 4096, seed: int = 0):
    """A ``datasets.Dataset`` of ``n`` training chains (``prompt``, ``solution``, ``reference``), none held out."""
    from datasets import Dataset

    held_out = {c.prompt for c in eval_chains()}
    rng = random.Random(seed)
    chains = []
    while len(chains) < n:
        chain = sample_chain(rng, tuple(OPERATIONS), NUM_STEPS, NUM_STEPS, MAX_VALUE)
        if chain.prompt not in held_out:
            chains.append(chain)
    return Dataset.from_dict(
        {
            "prompt": [c.prompt for c in chains],
            "solution": [c.solution for c in chains],
            "reference": [c.reference for c in chains],
        }
    )


@dataclass(frozen=True)
class ChainsWarmStart(WarmStartConfig):
    """The long-chain warm start: a teacher that may slip at every step, at its operation's rate.

    ``slip_rates`` pairs each operation with the probability that the teacher misreads its operand; ``restate_rate``
    is the probability of a restatement line (``v=v``, ``v`` the value just computed) before each line after the
    first. The one-step demo's ``slip_rate`` / ``slips`` are unused.
    """

    cache_prefix = "demo-chains"

    steps: int = 2000
    batch_size: int = 32
    slip_rate: float = 0.0
    slip_rates: tuple[tuple[str, float], ...] = (("+", 0.4), ("-", 0.4), ("*", 0.75))
    restate_rate: float = 0.02
    num_layers: int = 3

    def __post_init__(self):
        super().__post_init__()
        rates = dict(self.slip_rates)
        if set(rates) != set(OPERATIONS) or len(rates) != len(self.slip_rates) or not all(
            0.0 <= r < 1.0 for r in rates.values()
        ):
            raise ValueError(
                f"ChainsWarmStart.slip_rates must give each of {sorted(OPERATIONS)} one rate in [0, 1), "
                f"got {self.slip_rates!r}"
            )
        if not 0.0 <= self.restate_rate < 1.0:
            raise ValueError(f"ChainsWarmStart.restate_rate must be in [0, 1), got {self.restate_rate!r}")

    def sloppy_operands(self, chain: Chain, rng: random.Random) -> list[int]:
        """The operands the teacher writes: each step's is misread with its operation's rate, independently."""
        rates = dict(self.slip_rates)
        written: list[int] = []
        value = chain.start
        for op, operand in chain.steps:
            if rng.random() < rates[op]:
                operand = operand + 1 if OPERATIONS[op](value, operand + 1) >= 0 else operand - 1
            written.append(operand)
            value = OPERATIONS[op](value, operand)
        return written

    def completion(self, chain: Chain, rng: random.Random) -> str:
        """The teacher's worked completion: its (perhaps misread) lines, restatements inserted at ``restate_rate``."""
        lines = chain.lines(self.sloppy_operands(chain, rng))
        written = [lines[0]]
        for line in lines[1:]:
            if rng.random() < self.restate_rate:
                value = written[-1].rsplit("=", 1)[1]
                written.append(f"{value}={value}")
            written.append(line)
        answer = lines[-1].rsplit("=", 1)[1]
        return f"<think>{STEP_SEPARATOR.join(written)}</think><answer>{answer}</answer>"

    def examples(self, rng: random.Random, n: int) -> list[tuple[str, str]]:
        chains = [sample_chain(rng, tuple(OPERATIONS), NUM_STEPS, NUM_STEPS, MAX_VALUE) for _ in range(n)]
        return [(c.prompt, self.completion(c, rng)) for c in chains]

    def tokenizer_corpus(self) -> list[str]:
        return data.tokenizer_corpus() + [c.prompt + c.completion() for c in sample_chains(256, seed=0)]

    def source_modules(self) -> tuple[ModuleType, ...]:
        import sys

        return (data, tiny, multistep, sys.modules[__name__])


SPARSE = ChainsWarmStart()
MODERATE = ChainsWarmStart(slip_rates=(("+", 0.1), ("-", 0.1), ("*", 0.35)))
MIDDLE = ChainsWarmStart(slip_rates=(("+", 0.12), ("-", 0.12), ("*", 0.4)))
