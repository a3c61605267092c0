"""The multi-step demo task: chains and reference solutions recomputed from the prompt text, the sloppy teacher, the
fixed held-out set, the greedy evaluation, and a shortened run of the task."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from grpo_plus.demo import multistep, warmstart
from grpo_plus.demo.evaluation import evaluate, step_shape
from grpo_plus.demo.multistep import Chain, MultiStepWarmStart

PROMPT = re.compile(
    r"Compute (.+)\. One step per line in <think>\.\.\.</think>, the result in <answer>\.\.\.</answer>\.\n"
)
TINY = MultiStepWarmStart(steps=3, batch_size=4)


def read_chain(prompt: str) -> tuple[Fraction, list[tuple[str, Fraction]]]:
    """Start value and (operation, operand) steps read back from the prompt's nested expression: k - 1 opening
    parentheses, then ``a op b``, then ``) op b`` per further step."""
    match = PROMPT.fullmatch(prompt)
    assert match, prompt
    expression = match.group(1)
    depth = len(expression) - len(expression.lstrip("("))
    rest = expression[depth:]
    first = re.match(r"(\d+) ([-+*]) (\d+)", rest)
    assert first, expression
    steps = [(first.group(2), Fraction(first.group(3)))]
    tail = rest[first.end():]
    further = re.findall(r"\) ([-+*]) (\d+)", tail)
    assert "".join(f") {op} {b}" for op, b in further) == tail, expression
    steps += [(op, Fraction(b)) for op, b in further]
    assert len(steps) == depth + 1, expression
    return Fraction(first.group(1)), steps


def recompute(prompt: str) -> list[Fraction]:
    """Every intermediate result, computed from the prompt's numbers with fractions (not the package's code)."""
    value, steps = read_chain(prompt)
    results = []
    for op, b in steps:
        value = value + b if op == "+" else value - b if op == "-" else value * b
        results.append(value)
    return results


# ------------------------------------------------------------------------------------------------------ generator
def test_problems_and_reference_solutions_are_correct():
    ds = multistep.build_dataset(n=600, seed=5)
    assert ds.column_names == ["prompt", "solution", "reference"]
    lengths, ops = Counter(), Counter()
    for row in ds:
        results = recompute(row["prompt"])
        start, steps = read_chain(row["prompt"])
        assert 2 <= len(results) <= 4
        assert all(r.denominator == 1 and 0 <= r <= 50 for r in results)
        assert all(1 <= b <= 9 for _, b in steps) and 1 <= start <= 9
        assert row["solution"] == str(results[-1])
        lines = row["reference"].split("\n")
        inputs = [start, *results[:-1]]
        assert lines == [f"{a}{op}{b}={c}" for a, (op, b), c in zip(inputs, steps, results)]
        lengths[len(results)] += 1
        ops.update(op for op, _ in steps)
    assert set(lengths) == {2, 3, 4} and min(lengths.values()) > 150  # uniform: 200 each expected
    assert set(ops) == {"+", "-", "*"}


def test_worked_completion_and_chain_text():
    chain = Chain(3, (("+", 4), ("*", 2), ("-", 5)))
    assert chain.expression == "((3 + 4) * 2) - 5"
    assert chain.results() == [7, 14, 9]
    assert chain.reference == "3+4=7\n7*2=14\n14-5=9"
    assert chain.completion() == "<think>3+4=7\n7*2=14\n14-5=9</think><answer>9</answer>"
    # operand 4 misread as 5, then exact arithmetic from what was written: 3+5=8, 8*2=16, 16-5=11
    assert chain.results([5, 2, 5]) == [8, 16, 11]
    assert chain.completion([5, 2, 5]) == "<think>3+5=8\n8*2=16\n16-5=11</think><answer>11</answer>"
    with pytest.raises(ValueError, match="operands has 2 values for a chain of 3 steps"):
        chain.lines([1, 2])


def test_generator_is_deterministic_and_seeded():
    first = multistep.build_dataset(n=64, seed=3)
    assert first.to_list() == multistep.build_dataset(n=64, seed=3).to_list()
    assert first.to_list() != multistep.build_dataset(n=64, seed=4).to_list()


def test_held_out_set_is_fixed_distinct_and_never_trained_on():
    from grpo_plus.demo.multistep_run import training_dataset

    held_out = multistep.eval_chains()
    prompts = [c.prompt for c in held_out]
    assert len(prompts) == len(set(prompts)) >= 200
    assert prompts == [c.prompt for c in multistep.eval_chains()]
    train = training_dataset(3000, seed=1, warm_start=MultiStepWarmStart())
    assert not set(train["prompt"]) & set(prompts)
    assert {len(c.steps) for c in held_out} == {2, 3, 4}


def test_bad_arguments():
    with pytest.raises(ValueError, match="ops must be a non-empty subset"):
        multistep.sample_chains(3, ops=("/",))
    with pytest.raises(ValueError, match="min_steps <= max_steps"):
        multistep.sample_chains(3, min_steps=3, max_steps=2)
    with pytest.raises(ValueError, match="slip_rates must pair distinct operations"):
        MultiStepWarmStart(slip_rates=(("+", 1.0),))
    with pytest.raises(ValueError, match="slip_rates must pair distinct operations"):
        MultiStepWarmStart(slip_rates=(("+", 0.1), ("+", 0.2)))
    with pytest.raises(ValueError, match="slip_rates must pair distinct operations"):
        MultiStepWarmStart(slip_rates=(("/", 0.1),))


# ------------------------------------------------------------------------------------------------- sloppy teacher
def test_sloppy_teacher_misreads_only_intermediate_operands_at_the_configured_rates():
    config = MultiStepWarmStart()
    rates = dict(config.slip_rates)
    rng = random.Random(0)
    chains = multistep.sample_chains(3000, seed=11)
    slipped, seen = Counter(), Counter()
    for chain in chains:
        text = chain.completion(config.sloppy_operands(chain, rng))
        lines = re.fullmatch(r"<think>(.*)</think><answer>(-?\d+)</answer>", text, re.S).group(1).split("\n")
        start, steps = read_chain(chain.prompt)
        value = start
        for j, (line, (op, b)) in enumerate(zip(lines, steps)):
            a, written_op, written, c = re.fullmatch(r"(-?\d+)([-+*])(\d+)=(-?\d+)", line).groups()
            a, written, c = Fraction(a), Fraction(written), Fraction(c)
            assert a == value and written_op == op  # carries on from the line before
            assert c == (a + written if op == "+" else a - written if op == "-" else a * written)  # exact
            if j == len(steps) - 1:
                assert written == b  # the last step never slips
            else:
                seen[op] += 1
                slipped[op] += written != b
                assert written - b in (0, 1, -1)
                assert written - b != -1 or a - (b + 1) < 0  # b - 1 only where b + 1 would go below zero
            value = c
        assert text.endswith(f"<answer>{value}</answer>")
    for op, n in seen.items():
        rate = rates[op]
        sd = (n * rate * (1 - rate)) ** 0.5
        assert abs(slipped[op] - n * rate) < 5 * sd, (op, slipped[op], n)


def test_worked_completions_earn_the_registry_rewards():
    from rewards import get_reward

    config = MultiStepWarmStart()
    chains = multistep.sample_chains(40, seed=2)
    rng = random.Random(1)
    right = [c.completion() for c in chains]
    solutions = [c.solution for c in chains]
    references = [c.reference for c in chains]
    accuracy, fmt, ref = get_reward("accuracy"), get_reward("format"), get_reward("reference_steps")
    assert accuracy(right, solution=solutions) == [1.0] * 40
    assert fmt(right) == [1.0] * 40
    right_steps = [text.split("\n") for text in right]
    assert ref(steps=right_steps, reference=references) == [[1.0] * len(c.steps) for c in chains]
    # the teacher's slipped completions: arithmetic_steps sees nothing wrong; reference_steps scores the first slipped
    # step 0 unless its result happens to be one of the reference's
    arithmetic = get_reward("arithmetic_steps")
    for chain in chains:
        operands = config.sloppy_operands(chain, rng)
        shown, exact = chain.results(operands), recompute(chain.prompt)
        text = chain.completion(operands)
        steps = [text.split("\n")]
        assert arithmetic(steps=steps) == [[1.0] * len(chain.steps)]
        if shown == exact:
            continue
        j = next(i for i, (v, e) in enumerate(zip(shown, exact)) if v != e)
        scores = ref(steps=steps, reference=[chain.reference])[0]
        assert scores[:j] == [1.0] * j
        assert scores[j] == float(shown[j] in exact)
        assert accuracy([text], solution=[chain.solution]) == [float(shown[-1] == exact[-1])]


def test_trainer_split_gives_one_step_per_line():
    from grpo_plus.steps import split_completions

    tok = warmstart.build_tokenizer(MultiStepWarmStart())
    chains = multistep.sample_chains(30, seed=4)
    texts = [c.completion() for c in chains]
    ids = [tok(t)["input_ids"] + [tok.eos_token_id] for t in texts]
    steps, _ = split_completions(tok, ids, separator=multistep.STEP_SEPARATOR, texts=texts)
    assert [len(s) for s in steps] == [len(c.steps) for c in chains]
    per_completion, per_step = step_shape(tok, ids, texts, multistep.STEP_SEPARATOR)
    assert per_completion == sum(len(c.steps) for c in chains) / 30
    assert per_step == sum(len(i) for i in ids) / sum(len(c.steps) for c in chains)


def test_step_shape_by_hand():
    tok = warmstart.build_tokenizer(MultiStepWarmStart())
    texts = ["<think>1+2=3\n3*3=9</think><answer>9</answer>", "<think>9</think><answer>9</answer>"]
    ids = [tok(t)["input_ids"] for t in texts]
    # two steps and one step: 1.5 steps per completion; all tokens over three steps
    assert step_shape(tok, ids, texts, "\n") == (1.5, (len(ids[0]) + len(ids[1])) / 3)


def test_multistep_warm_start_cache_key_and_prefix(tmp_path):
    assert warmstart.cache_key(TINY) != warmstart.cache_key(warmstart.WarmStartConfig(steps=3, batch_size=4))
    assert warmstart.cache_key(TINY) != warmstart.cache_key(replace(TINY, slip_rates=(("*", 0.5),)))
    path = warmstart.ensure_warm_start(TINY, cache_root=tmp_path)
    assert Path(path).name.startswith("demo-multistep-")
    info = json.loads((Path(path) / warmstart.INFO_FILENAME).read_text())
    assert info["config"]["slip_rates"] == [["+", 0.6], ["-", 0.6], ["*", 0.75]]


# ------------------------------------------------------------------------------------------------------ evaluation
def test_greedy_evaluation_is_deterministic(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = warmstart.ensure_warm_start(TINY, cache_root=tmp_path)
    model, tok = AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)
    chains = multistep.eval_chains()[:24]
    prompts, solutions = [c.prompt for c in chains], [c.solution for c in chains]
    first = evaluate(model, tok, prompts, solutions, max_new_tokens=24, separator="\n")
    model.train()  # evaluation switches to eval mode itself and restores the mode
    second = evaluate(model, tok, prompts, solutions, max_new_tokens=24, separator="\n")
    assert model.training
    assert first == second
    assert len(first["completions"]) == 24 and 0.0 <= first["accuracy"] <= 1.0
    assert tok.padding_side == AutoTokenizer.from_pretrained(path).padding_side  # restored


# ------------------------------------------------------------------------------------------------------------ run
def test_run_multistep_demo_plumbing(tmp_path):
    from grpo_plus.demo.run import run_demo

    out = tmp_path / "run"
    summary = run_demo(
        output_dir=out, task="multistep", warm_start=TINY, cache_root=tmp_path / "cache", max_steps=2,
        per_device_train_batch_size=8, num_generations=4, num_prompts=32, disable_tqdm=True, max_completion_length=16,
        reward_mode="process", reward_funcs=["reference_steps", "accuracy", "format"], process_credit="min",
    )
    assert summary["task"] == "multistep" and summary["steps"] == 2
    required = {
        "eval_accuracy_before", "eval_accuracy_after", "steps_per_completion_before", "steps_per_completion_after",
        "tokens_per_step_before", "tokens_per_step_after", "steps", "wall_time_s",
    }
    assert required <= set(summary)
    assert [p["step"] for p in summary["eval_curve"]] == [0, 2]
    assert summary["eval_problems"] == len(multistep.eval_chains()) >= 200
    assert json.loads((out / "demo_summary.json").read_text()) == summary
    rows = json.loads((out / "eval_completions.json").read_text())
    assert len(rows) == summary["eval_problems"] and {"prompt", "solution", "before", "after"} <= set(rows[0])
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert sum("rewards/reference_steps/mean" in e for e in history) == 2
