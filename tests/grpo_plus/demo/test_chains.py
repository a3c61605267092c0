"""The long-chain demo task: chains and references recomputed from the prompt text, the held-out set kept out of
training, the teacher's per-operation slip habits measured against their rates, and the two regimes' configs."""

from __future__ import annotations

import random
import re
from collections import Counter
from fractions import Fraction

import pytest

from grpo_plus.demo import chains, chains_run
from grpo_plus.demo.multistep import Chain
from tests.grpo_plus.demo.test_multistep import read_chain, recompute


def test_problems_have_six_steps_and_correct_references():
    ds = chains.build_dataset(n=300, seed=3)
    assert ds.column_names == ["prompt", "solution", "reference"]
    ops = Counter()
    for row in ds:
        start, steps = read_chain(row["prompt"])
        results = recompute(row["prompt"])
        assert len(results) == 6
        assert all(r.denominator == 1 and 0 <= r <= 50 for r in results)
        assert row["solution"] == str(results[-1])
        inputs = [start, *results[:-1]]
        assert row["reference"].split("\n") == [f"{a}{op}{b}={c}" for a, (op, b), c in zip(inputs, steps, results)]
        ops.update(op for op, _ in steps)
    assert set(ops) == {"+", "-", "*"}


def test_held_out_set_is_fixed_distinct_and_never_trained_on():
    held_out = chains.eval_chains()
    assert len(held_out) == 256 == len({c.prompt for c in held_out})
    assert [c.prompt for c in chains.eval_chains()] == [c.prompt for c in held_out]
    train = set(chains.build_dataset(n=2000, seed=1)["prompt"])
    assert not train & {c.prompt for c in held_out}


def _parse_line(line: str) -> tuple[int, str, int, int]:
    """``a op b=c`` with ``a`` and ``c`` possibly negative (a slip can take a later value below zero)."""
    match = re.fullmatch(r"(-?\d+)([-+*])(\d+)=(-?\d+)", line)
    assert match, line
    return int(match.group(1)), match.group(2), int(match.group(3)), int(match.group(4))


def test_teacher_slips_per_operation_at_every_step_and_computes_exactly():
    config = chains.ChainsWarmStart(slip_rates=(("+", 0.1), ("-", 0.3), ("*", 0.6)), restate_rate=0.05)
    rng = random.Random(7)
    asked = Counter()
    slipped = Counter()
    slipped_at = Counter()
    restated = lines_after_first = 0
    for prompt, completion in config.examples(rng, 2000):
        start, steps = read_chain(prompt)
        body = completion.removeprefix("<think>").split("</think>")[0].split("\n")
        computations = [line for line in body if re.fullmatch(r"-?\d+[-+*]\d+=-?\d+", line)]
        restatements = [line for line in body if line not in computations]
        assert all(line.split("=")[0] == line.split("=")[1] for line in restatements)
        restated += len(restatements)
        lines_after_first += len(computations) - 1
        value = start
        for j, (line, (op, b)) in enumerate(zip(computations, steps)):
            a, written_op, written_b, c = _parse_line(line)
            assert a == value and written_op == op
            assert c == (a + written_b if op == "+" else a - written_b if op == "-" else a * written_b)
            assert written_b in (b, b + 1, b - 1)
            asked[op] += 1
            slipped[op] += written_b != b
            slipped_at[j] += written_b != b
            value = c
        assert completion.endswith(f"<answer>{value}</answer>")
    for op, rate in (("+", 0.1), ("-", 0.3), ("*", 0.6)):
        assert abs(slipped[op] / asked[op] - rate) < 0.03, (op, slipped[op] / asked[op])
    assert all(slipped_at[j] > 0 for j in range(6))  # the last step slips too
    assert abs(restated / lines_after_first - 0.05) < 0.01


def test_regimes_have_their_own_warm_starts_and_the_sparse_one_is_the_default_task():
    from grpo_plus.demo.warmstart import cache_key

    assert dict(chains.SPARSE.slip_rates) == {"+": 0.4, "-": 0.4, "*": 0.75}
    assert dict(chains.MODERATE.slip_rates) == {"+": 0.1, "-": 0.1, "*": 0.35}
    assert dict(chains.MIDDLE.slip_rates) == {"+": 0.12, "-": 0.12, "*": 0.4}
    assert len({cache_key(chains.SPARSE), cache_key(chains.MODERATE), cache_key(chains.MIDDLE)}) == 3
    assert chains_run.TASKS["chains"].warm_start == chains.SPARSE
    assert chains_run.TASKS["chains_moderate"].warm_start == chains.MODERATE
    assert chains_run.TASKS["chains_middle"].warm_start == chains.MIDDLE


def test_teacher_accuracy_of_the_regimes():
    """Whole-chain accuracy of each teacher on the held-out chains, by an independent simulation of the slips."""
    rates = {"sparse": {"+": 0.4, "-": 0.4, "*": 0.75}, "middle": {"+": 0.12, "-": 0.12, "*": 0.4},
             "moderate": {"+": 0.1, "-": 0.1, "*": 0.35}}
    rng = random.Random(0)
    held_out = chains.eval_chains()
    accuracy = {}
    for name, rate in rates.items():
        right = 0
        for _ in range(10):
            for chain in held_out:
                value = Fraction(chain.start)
                for op, b in chain.steps:
                    if rng.random() < rate[op]:
                        b = b + 1 if (value + b + 1 if op == "+" else value - b - 1 if op == "-" else value * (b + 1)) >= 0 else b - 1
                    value = value + b if op == "+" else value - b if op == "-" else value * b
                right += value == chain.answer
        accuracy[name] = right / (10 * len(held_out))
    assert 0.03 <= accuracy["sparse"] <= 0.10
    assert 0.22 <= accuracy["middle"] <= 0.32
    assert 0.29 <= accuracy["moderate"] <= 0.38


@pytest.mark.parametrize("bad", [(("+", 0.4), ("-", 0.4)), (("+", 0.4), ("-", 0.4), ("*", 1.0))])
def test_bad_slip_rates_are_rejected(bad):
    with pytest.raises(ValueError, match="ChainsWarmStart.slip_rates must give each of"):
        chains.ChainsWarmStart(slip_rates=bad)


def test_worked_completion_of_a_six_step_chain():
    chain = Chain(3, (("+", 4), ("*", 2), ("-", 5), ("+", 8), ("-", 6), ("*", 2)))
    assert chain.answer == 22
    assert chain.expression == "(((((3 + 4) * 2) - 5) + 8) - 6) * 2"
